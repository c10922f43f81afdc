using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Somnis.Hub.Storage;

/// <summary>The lease of the active hub, the nodes' heartbeats and the shared cookie keys (schema step 4;
/// docs/high-availability.md). These writes are not fenced: they are how a node gets and keeps its term.</summary>
internal sealed partial class PostgresStore : IXmlRepository
{
    /// <summary>Takes the lease when it is free or has expired by the database's clock, with a new term. This instance may
    /// also take it again when it holds it without knowing (an acquisition whose answer it never received).</summary>
    /// <returns>The new term, or null when another node holds it.</returns>
    public long? TryAcquireLease(string node, string instance, TimeSpan leaseTime, TimeSpan timeout) => WriteUnfenced((c, tx) =>
        Scalar<long>(c, tx, timeout, """
            UPDATE lease SET holder = @node, instance = @instance, term = term + 1, acquired_at = now(), renewed_at = now(),
                             expires_at = now() + @ttl
            WHERE name = 'active' AND (holder IS NULL OR expires_at < now() OR (holder = @node AND instance = @instance))
            RETURNING term;
            """, P("node", node), P("instance", instance), P("ttl", leaseTime)));

    /// <summary>Renews this instance's term (even after it expired, as long as nobody took the lease meanwhile).</summary>
    /// <returns>False when another node holds the lease now (or a newer term of this name).</returns>
    public bool RenewLease(string node, string instance, long term, TimeSpan leaseTime, TimeSpan timeout) => WriteUnfenced((c, tx) =>
        Scalar<long>(c, tx, timeout, """
            UPDATE lease SET renewed_at = now(), expires_at = now() + @ttl
            WHERE name = 'active' AND holder = @node AND instance = @instance AND term = @term
            RETURNING term;
            """, P("node", node), P("instance", instance), P("term", term), P("ttl", leaseTime)) is not null);

    /// <summary>Gives the lease up at once (a clean stop): a standby takes it at its next try instead of waiting it out.</summary>
    public bool ReleaseLease(string node, string instance, long term, TimeSpan timeout) => WriteUnfenced((c, tx) =>
        Scalar<long>(c, tx, timeout, """
            UPDATE lease SET holder = NULL, instance = NULL, expires_at = now()
            WHERE name = 'active' AND holder = @node AND instance = @instance AND term = @term
            RETURNING term;
            """, P("node", node), P("instance", instance), P("term", term)) is not null);

    /// <summary>The lease as the database sees it now; null holder when it is free or expired.</summary>
    public LeaseView ReadLease() => Query(
        """
        SELECT CASE WHEN expires_at >= now() THEN holder END, term,
               extract(epoch FROM now() - acquired_at)::float8,
               CASE WHEN expires_at <> '-infinity' THEN extract(epoch FROM expires_at - now())::float8 END
        FROM lease WHERE name = 'active';
        """,
        r => new LeaseView(ReadNullableString(r, 0), r.GetInt64(1), r.IsDBNull(2) ? 0 : r.GetDouble(2), r.IsDBNull(3) ? 0 : r.GetDouble(3)))[0];

    /// <summary>This node's heartbeat: its role and address, <c>last_seen</c> by the database's clock.</summary>
    public void Heartbeat(string node, string instance, string? url, string role, TimeSpan timeout) => WriteUnfenced((c, tx) =>
        Scalar<long>(c, tx, timeout, """
            INSERT INTO nodes (node, instance, url, role, started_at, last_seen) VALUES (@node, @instance, @url, @role, now(), now())
            ON CONFLICT (node) DO UPDATE SET instance = excluded.instance, url = excluded.url, role = excluded.role, last_seen = now(),
                started_at = CASE WHEN nodes.instance = excluded.instance THEN nodes.started_at ELSE now() END
            RETURNING 1::bigint;
            """, P("node", node), P("instance", instance), P("url", url), P("role", role)));

    /// <summary>Every node that has run, by name.</summary>
    public IReadOnlyList<NodeView> Nodes() => Query(
        "SELECT node, instance, url, role, last_seen, extract(epoch FROM now() - last_seen)::float8 FROM nodes ORDER BY node;",
        r => new NodeView(r.GetString(0), r.GetString(1), ReadNullableString(r, 2), r.GetString(3), ReadTs(r, 4), r.GetDouble(5)));

    public IReadOnlyCollection<XElement> GetAllElements() =>
        Query("SELECT xml FROM dataprotection_keys ORDER BY created_at, name;", r => XElement.Parse(r.GetString(0)));

    public void StoreElement(XElement element, string friendlyName) => WriteUnfenced((c, tx) =>
        Execute(c, tx, "INSERT INTO dataprotection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING;",
            P("name", friendlyName), P("xml", element.ToString(SaveOptions.DisableFormatting))));

    /// <summary>Runs <paramref name="body"/> while holding the cluster's advisory lock for one-time start-up work (creating
    /// the first cookie key), so nodes starting together do it once.</summary>
    public void WithStartupLock(Action body) => Read(c =>
    {
        using var tx = c.BeginTransaction();
        Execute(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey + 1});");
        body();
        tx.Commit();
    });

    private static T? Scalar<T>(NpgsqlConnection c, NpgsqlTransaction tx, TimeSpan timeout, string sql, params NpgsqlParameter[] parameters)
        where T : struct
    {
        using var cmd = new NpgsqlCommand(sql, c, tx) { CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)) };
        cmd.Parameters.AddRange(parameters);
        return cmd.ExecuteScalar() is T value ? value : null;
    }
}

/// <summary>The lease now: holder (null when free or expired), term, seconds since it was taken, seconds until it expires.</summary>
internal sealed record LeaseView(string? Holder, long Term, double AgeSeconds, double ExpiresInSeconds);

/// <summary>A node's row: name, process, address, role, last heartbeat (and its age by the database's clock).</summary>
internal sealed record NodeView(string Node, string Instance, string? Url, string Role, DateTimeOffset LastSeen, double AgeSeconds);

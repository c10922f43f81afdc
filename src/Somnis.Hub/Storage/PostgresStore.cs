using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Somnis.Hub.Storage;

/// <summary>
/// The shared store on PostgreSQL (<c>Store:Provider postgres</c>): the same seams as the embedded file
/// (<see cref="Alarms.IAlarmStore"/>, <see cref="Sleepers.ISleeperStore"/>, <see cref="Nights.INightStore"/>), one
/// <c>PostgresStore.Feature.cs</c> partial file per seam like <see cref="SomnisStore"/>, for every hub node of a facility
/// (docs/high-availability.md, "Store"). Raw vitals are not here: they stay in each node's <see cref="SomnisStore"/>.
/// Every method throws a <see cref="DbException"/> (<see cref="NpgsqlException"/>, <see cref="PostgresException"/>) on
/// failure, as the callers of the seams expect; a write happens entirely or not at all.
/// </summary>
internal sealed partial class PostgresStore : IDisposable
{
    /// <summary>Key of the advisory lock that lets one node at a time migrate the schema.</summary>
    private const long MigrationLockKey = 0x536F6D6E69730001; // "Somnis" + 1

    private readonly NpgsqlDataSource _source;
    private readonly Cluster.ClusterRole _role;

    /// <param name="role">The node's role, whose lease term fences every write; none (tools, tests): writes are not fenced.</param>
    public PostgresStore(IOptions<StoreOptions> options, Cluster.ClusterRole? role = null)
    {
        _role = role ?? Cluster.ClusterRole.Single;
        var connection = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString);
        // Where, never with the password: for log lines and readiness.
        Description = $"PostgreSQL {connection.Host}:{connection.Port}/{connection.Database ?? connection.Username}";
        // No logger factory: Npgsql would log every statement at Information. Failures reach the callers as exceptions,
        // and they log them with what they mean (docs/high-availability.md, "Store").
        _source = new NpgsqlDataSourceBuilder(connection.ConnectionString) { Name = "somnis-store" }.Build();
    }

    /// <summary>Server and database, without credentials.</summary>
    public string Description { get; }

    /// <summary>Schema version of the database (after <see cref="Migrate"/>: <see cref="PostgresMigrations.Latest"/>).</summary>
    public int SchemaVersion => Read(c =>
    {
        using var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL;", c);
        return exists.ExecuteScalar() is true ? CurrentVersion(c, null) : 0;
    });

    /// <summary>
    /// Brings the database to the latest schema. Refuses a database written by a newer hub (a downgrade). Nodes starting
    /// at once take turns: each step's transaction first takes an advisory lock and reads the version again, so a step
    /// is applied once, by whichever node comes first.
    /// </summary>
    /// <returns>The steps applied by this call (empty when already current).</returns>
    public IReadOnlyList<Migration> Migrate() => Read(c =>
    {
        var applied = new List<Migration>();
        while (true)
        {
            using var tx = c.BeginTransaction();
            Execute(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey});");
            Execute(c, tx, PostgresMigrations.VersionTable);
            var current = CurrentVersion(c, tx);
            if (current > PostgresMigrations.Latest)
            {
                throw new InvalidOperationException(
                    $"{Description} has schema version {current} but this hub knows only up to {PostgresMigrations.Latest}: it was written by a newer Somnis. " +
                    "Run that version again or restore a backup taken before the upgrade (docs/operations.md, \"Upgrade\").");
            }

            if (PostgresMigrations.All.Where(m => m.Version > current).MinBy(m => m.Version) is not { } step)
            {
                tx.Commit();
                return applied;
            }

            Execute(c, tx, step.Sql);
            Execute(c, tx, "INSERT INTO schema_version (version, name) VALUES (@version, @name);", P("version", step.Version), P("name", step.Name));
            tx.Commit();
            applied.Add(step);
        }
    });

    /// <summary>Cheap liveness probe of the server (readiness check).</summary>
    public void Ping() => Read(c => Execute(c, null, "SELECT 1;"));

    public void Dispose() => _source.Dispose();

    /// <summary>
    /// Runs <paramref name="body"/> in one write transaction and commits it: <b>the one place where the shared store is
    /// written</b>. With <c>Ha:Enabled</c> the fencing token (docs/high-availability.md, "Fencing") is checked first, in the
    /// same transaction: the lease row must still name this node and its term. <c>FOR SHARE</c> keeps the row as it is
    /// until the commit, so a takeover's <c>UPDATE</c> waits for a write in flight and then sees it; a node that lost its
    /// lease has every write refused as a whole (<see cref="Cluster.FencedException"/>).
    /// </summary>
    private T Write<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> body) => Read(c =>
    {
        var fence = _role.Fence();
        using var tx = c.BeginTransaction();
        if (fence is { } f)
        {
            using var check = new NpgsqlCommand("SELECT 1 FROM lease WHERE name = 'active' AND holder = @node AND term = @term FOR SHARE;", c, tx);
            check.Parameters.Add(P("node", f.Node));
            check.Parameters.Add(P("term", f.Term));
            if (check.ExecuteScalar() is null)
            {
                throw _role.Fenced($"the lease is no longer held under term {f.Term}");
            }
        }

        var result = body(c, tx);
        tx.Commit();
        return result;
    });

    /// <summary>A write any node may make whatever its role: idempotent writes that are not the active's decisions (seeding
    /// users into an empty table, a password's rehash, cookie keys, the node's own heartbeat and the lease itself).</summary>
    private T WriteUnfenced<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> body) => Read(c =>
    {
        using var tx = c.BeginTransaction();
        var result = body(c, tx);
        tx.Commit();
        return result;
    });

    /// <summary>An open connection of the pool for <paramref name="body"/>. A connection-level failure (server restarted,
    /// network cut) empties the pool, so the next call opens fresh connections instead of failing on the dead ones.</summary>
    private T Read<T>(Func<NpgsqlConnection, T> body)
    {
        try
        {
            using var c = _source.OpenConnection();
            return body(c);
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            _source.Clear();
            throw;
        }
    }

    private void Read(Action<NpgsqlConnection> body) => Read(c =>
    {
        body(c);
        return 0;
    });

    private List<T> Query<T>(string sql, Func<NpgsqlDataReader, T> row, params NpgsqlParameter[] parameters) => Read(c =>
    {
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddRange(parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<T>();
        while (r.Read())
        {
            result.Add(row(r));
        }

        return result;
    });

    private static int Execute(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params NpgsqlParameter[] parameters)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.Parameters.AddRange(parameters);
        return cmd.ExecuteNonQuery();
    }

    private static int CurrentVersion(NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version;", c, tx);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A parameter; null as SQL NULL.</summary>
    private static NpgsqlParameter P(string name, object? value) => new(name, value ?? DBNull.Value);

    /// <summary>A time as stored: UTC, millisecond precision (what the embedded file keeps, so both stores return the same).</summary>
    private static DateTime Ts(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    private static object Ts(DateTimeOffset? t) => t is { } v ? Ts(v) : DBNull.Value;

    private static DateTimeOffset ReadTs(NpgsqlDataReader r, int i) => r.GetFieldValue<DateTimeOffset>(i);

    private static DateTimeOffset? ReadNullableTs(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static string? ReadNullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static double? ReadNullableDouble(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
}

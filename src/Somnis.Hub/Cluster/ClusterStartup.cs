using System.Data.Common;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Cluster;

/// <summary>
/// Joins the cluster before the host starts, once the shared store is open: with <c>Store:Provider postgres</c> the first
/// cookie key is made once for all nodes; with <c>Ha:Enabled</c> the node's name is checked. A row of the same name with
/// another instance whose heartbeat is recent is either the previous run of this node (killed: its heartbeat no longer
/// moves, and the node waits up to <c>2 × Ha:LeaseTime</c> for it to age) or another running hub with the same name (its
/// heartbeat moves): that stops this one with exit code 2 naming <c>Hub:Node</c> (docs/high-availability.md, "Node names").
/// </summary>
internal sealed class ClusterStartup(ClusterRole role, IOptions<HaOptions> options, IOptions<StoreOptions> store, IServiceProvider services, TimeProvider time, ILogger<ClusterStartup> logger)
{
    /// <returns>False when the hub must not start (the reason is logged).</returns>
    public static Task<bool> JoinAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ClusterStartup>().JoinAsync(cancellationToken);

    public async Task<bool> JoinAsync(CancellationToken cancellationToken)
    {
        if (store.Value.Provider != StoreProvider.Postgres)
        {
            return true;
        }

        var shared = services.GetRequiredService<PostgresStore>();
        try
        {
            shared.WithStartupLock(() => FirstKey(services.GetRequiredService<IKeyManager>()));
            return !role.Enabled || await CheckNameAsync(shared, cancellationToken);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            Log.ClusterJoinFailed(logger, ex.Message, ex);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The node's name is free, or becomes free within <c>2 × Ha:LeaseTime</c> (the row of a killed run).</summary>
    internal async Task<bool> CheckNameAsync(PostgresStore shared, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var stale = (o.LeaseTime * 2).TotalSeconds;
        DateTimeOffset? seen = null;
        while (true)
        {
            if (shared.Nodes().FirstOrDefault(n => n.Node == role.Node) is not { } row || row.Instance == role.Instance || row.AgeSeconds > stale)
            {
                shared.Heartbeat(role.Node, role.Instance, null, role.RoleName, o.LeaseTime);
                Log.ClusterJoined(logger, role.Node, role.Instance, o.LeaseTime, o.RenewEvery);
                return true;
            }

            if (seen is { } before && row.LastSeen > before)
            {
                Log.NodeNameTaken(logger, role.Node, row.Instance, row.AgeSeconds);
                return false;
            }

            if (seen is null)
            {
                Log.NodeNameWaiting(logger, role.Node, row.AgeSeconds);
            }

            seen = row.LastSeen;
            await Task.Delay(o.RenewEvery, time, cancellationToken);
        }
    }

    /// <summary>Makes the first key of the shared key ring unless one is current (under the store's start-up lock).</summary>
    private void FirstKey(IKeyManager keys)
    {
        var now = time.GetUtcNow();
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
        {
            keys.CreateNewKey(now, now.AddDays(90));
        }
    }
}

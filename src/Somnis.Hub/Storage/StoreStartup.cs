using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Somnis.Edge;

namespace Somnis.Hub.Storage;

/// <summary>
/// Opens the stores before the host starts: the node's own file (vitals history; with <c>Store:Provider sqlite</c> also the
/// shared state) and, with <c>postgres</c>, the shared database. Each is brought to its latest schema. A store the hub
/// cannot use stops it with exit code 2 and a message naming the setting: a schema newer than the hub, a file it cannot
/// open, a server that refuses it (credentials, database), or a server still unreachable after
/// <see cref="StoreOptions.StartupTimeout"/> of retries (docs/high-availability.md, "Store").
/// </summary>
internal sealed class StoreStartup(SomnisStore file, IOptions<StoreOptions> options, IServiceProvider services, TimeProvider time, ILogger<StoreStartup> logger)
{
    /// <summary>The longest pause between two attempts to reach the server.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The data directory (<c>--data</c>), created before the hub starts (a <see cref="StartupStep"/> of <c>AddStorage()</c>):
    /// the options' validation only checks that the setting names a directory. A directory that cannot be created stops
    /// the start with this message (exit code 2).
    /// </summary>
    public static string? CreateDataDirectory(IServiceProvider services)
    {
        var directory = services.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory;
        try
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return $"--data (Hub:DataDirectory) '{directory}' cannot be created: {ex.Message}";
        }
    }

    /// <summary>Opens the stores of the hub in <paramref name="services"/>.</summary>
    /// <returns>False when the hub must not start (the reason is logged).</returns>
    public static Task<bool> OpenAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<StoreStartup>().OpenAsync(cancellationToken);

    public async Task<bool> OpenAsync(CancellationToken cancellationToken)
    {
        if (!OpenFile())
        {
            return false;
        }

        return options.Value.Provider != StoreProvider.Postgres || await OpenSharedAsync(services.GetRequiredService<PostgresStore>(), cancellationToken);
    }

    private bool OpenFile()
    {
        try
        {
            foreach (var step in file.Migrate())
            {
                Log.StoreMigrated(logger, file.DatabasePath, step.Version, step.Name);
            }

            Log.StoreOpened(logger, file.DatabasePath, file.SchemaVersion);
            return true;
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Log.StoreOpenFailed(logger, file.DatabasePath, ex);
            return false;
        }
    }

    /// <summary>Migrates the shared database, waiting for the server while it is unreachable (connection refused, timed out,
    /// starting up) for up to <see cref="StoreOptions.StartupTimeout"/>, with growing pauses. Anything else stops at once.</summary>
    internal async Task<bool> OpenSharedAsync(PostgresStore store, CancellationToken cancellationToken)
    {
        var timeout = options.Value.StartupTimeout;
        var deadline = time.GetUtcNow() + timeout;
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var step in store.Migrate())
                {
                    Log.SharedStoreMigrated(logger, store.Description, step.Version, step.Name);
                }

                Log.SharedStoreOpened(logger, store.Description, store.SchemaVersion);
                return true;
            }
            catch (NpgsqlException ex) when (ex.IsTransient)
            {
                var left = deadline - time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    Log.SharedStoreGaveUp(logger, store.Description, timeout, attempt, ex.Message);
                    return false;
                }

                var wait = delay < left ? delay : left;
                Log.SharedStoreUnreachable(logger, store.Description, attempt, ex.Message, wait, left);
                try
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or ArgumentException)
            {
                // Credentials refused, no such database, a schema from a newer hub: waiting would not change it.
                Log.SharedStoreOpenFailed(logger, store.Description, ex.Message, ex);
                return false;
            }
        }
    }
}

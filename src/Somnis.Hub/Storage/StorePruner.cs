using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Storage;

/// <summary>
/// Applies the retention of the embedded store: every <see cref="StorageOptions.PruneInterval"/> (first run at
/// start-up) it deletes vitals older than <see cref="StorageOptions.VitalsRetention"/> and nights of record older than
/// <see cref="StorageOptions.NightRetention"/> before now, in small transactions so the writers are never blocked for long.
/// Vitals are the node's own file; nights are wherever the shared state is (<see cref="INightStore"/>).
/// </summary>
internal sealed class StorePruner : BackgroundService
{
    private const int RowsPerTransaction = 10_000;

    /// <summary>A night takes its ~1,000 epochs with it: 100 nights are about as many rows as <see cref="RowsPerTransaction"/>.</summary>
    private const int NightsPerTransaction = 100;
    private readonly SomnisStore _store;
    private readonly INightStore _nights;
    private readonly Cluster.ClusterRole? _role;
    private readonly IOptions<StorageOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StorePruner> _logger;
    private readonly Counter<long> _pruned;

    public StorePruner(SomnisStore store, INightStore nights, IOptions<StorageOptions> options, TimeProvider time, IMeterFactory meters, ILogger<StorePruner> logger,
        Cluster.ClusterRole? role = null)
    {
        _role = role;
        _store = store;
        _nights = nights;
        _options = options;
        _time = time;
        _logger = logger;
        _pruned = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.store.pruned", "{row}", "Rows deleted by the embedded store's retention");
    }

    /// <summary>Deletes everything past retention now.</summary>
    /// <returns>Vitals rows and nights deleted.</returns>
    internal int PruneOnce()
    {
        var before = _time.GetUtcNow() - _options.Value.VitalsRetention;
        var total = InSteps(max => _store.PruneVitals(before, max), RowsPerTransaction);

        _pruned.Add(total, new KeyValuePair<string, object?>("table", "vitals"));
        if (total > 0)
        {
            Log.StorePruned(_logger, total, before);
        }

        return total + PruneNights();
    }

    private int PruneNights()
    {
        if (_role is { IsActive: false })
        {
            // The shared nights are the active's to prune (docs/high-availability.md, "Roles"); each node prunes its own vitals.
            return 0;
        }

        var before = _time.GetUtcNow() - _options.Value.NightRetention;
        var total = InSteps(max => _nights.PruneNights(before, max), NightsPerTransaction);

        if (total > 0)
        {
            _pruned.Add(total, new KeyValuePair<string, object?>("table", "nights"));
            Log.NightsPruned(_logger, total, before);
        }

        return total;
    }

    /// <summary>Bounded deletes, one transaction each, until one deletes less than its bound.</summary>
    private static int InSteps(Func<int, int> delete, int perTransaction)
    {
        var total = 0;
        int n;
        do
        {
            n = delete(perTransaction);
            total += n;
        }
        while (n == perTransaction);

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                PruneOnce();
            }
            catch (Exception ex)
            {
                // By design: a failed prune only delays retention; the next run catches up.
                Log.StorePruneFailed(_logger, ex);
            }

            try
            {
                await Task.Delay(_options.Value.PruneInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}

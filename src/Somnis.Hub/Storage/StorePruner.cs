using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Storage;

/// <summary>
/// Applies the retention of the embedded store: every <see cref="StorageOptions.PruneInterval"/> (first run at
/// start-up) it deletes vitals older than <see cref="StorageOptions.VitalsRetention"/> before now, in small
/// transactions so the vitals writer is never blocked for long.
/// </summary>
internal sealed class StorePruner : BackgroundService
{
    private const int RowsPerTransaction = 10_000;
    private readonly SomnisStore _store;
    private readonly IOptions<StorageOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StorePruner> _logger;
    private readonly Counter<long> _pruned;

    public StorePruner(SomnisStore store, IOptions<StorageOptions> options, TimeProvider time, IMeterFactory meters, ILogger<StorePruner> logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        _pruned = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.store.pruned", "{row}", "Rows deleted by the embedded store's retention");
    }

    /// <summary>Deletes everything past retention now.</summary>
    /// <returns>Rows deleted.</returns>
    internal int PruneOnce()
    {
        var before = _time.GetUtcNow() - _options.Value.VitalsRetention;
        var total = 0;
        int n;
        do
        {
            n = _store.PruneVitals(before, RowsPerTransaction);
            total += n;
        }
        while (n == RowsPerTransaction);

        _pruned.Add(total, new KeyValuePair<string, object?>("table", "vitals"));
        if (total > 0)
        {
            Log.StorePruned(_logger, total, before);
        }

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

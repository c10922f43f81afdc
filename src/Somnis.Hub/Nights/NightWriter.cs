using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Somnis.Hub.Detection;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Nights;

/// <summary>
/// Writes nights of record to the store behind the live path (hosted). The live path only queues (<see cref="Enqueue"/>)
/// and never waits on the disk: while the store cannot be written, nights are still scored live, the batch is kept and
/// retried with backoff, the failure shows in <c>/readyz</c> (check <c>nights</c>) and the metrics
/// (<c>somnis.nights.*</c>), and what was queued is written when the store takes it again. A clean stop writes what is
/// still queued. The queue's bound drops epochs only, counted and logged.
/// </summary>
internal sealed class NightWriter : BackgroundService
{
    /// <summary>Epochs per write transaction, about (whole nights are taken).</summary>
    internal const int BatchEpochs = 20_000;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly INightStore _store;
    private readonly Cluster.ClusterRole? _role;
    private readonly TimeProvider _time;
    private readonly ILogger<NightWriter> _logger;
    private readonly TimeSpan _flushInterval;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _failures;
    private long _writtenCount;
    private int _dropping;
    private string? _failure;
    private DateTimeOffset? _failingSince;

    public NightWriter(INightStore store, IOptions<StorageOptions> options, TimeProvider time, IMeterFactory meters, ILogger<NightWriter> logger, Cluster.ClusterRole? role = null)
    {
        _store = store;
        _role = role;
        _time = time;
        _logger = logger;
        _flushInterval = options.Value.FlushInterval;
        Queue = new NightQueue(options.Value.NightQueueCapacity, time);
        var meter = meters.Create(HubMetrics.MeterName);
        _written = meter.CreateCounter<long>("somnis.nights.epochs.written", "{epoch}", "Epochs of nights of record written to the store");
        _dropped = meter.CreateCounter<long>("somnis.nights.epochs.dropped", "{epoch}", "Epochs not stored because the night queue was full");
        _failures = meter.CreateCounter<long>("somnis.nights.write.failures", "{batch}", "Failed night write transactions (kept and retried)");
        meter.CreateObservableGauge("somnis.nights.queued", () => (long)Queue.Epochs, "{epoch}", "Epochs of nights of record waiting to be written");
        meter.CreateObservableGauge("somnis.nights.queued_nights", () => (long)Queue.Nights, "{night}", "Nights with changes waiting to be written");
        meter.CreateObservableGauge("somnis.nights.oldest_queued_age", () => OldestQueuedAge.TotalSeconds, "s", "Age of the oldest night change waiting to be written");
    }

    internal NightQueue Queue { get; }

    /// <summary>Epochs written since start.</summary>
    public long Written => Interlocked.Read(ref _writtenCount);

    /// <summary>Why the last write failed, or null when it succeeded.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>How long the oldest queued change has waited (zero when nothing waits).</summary>
    public TimeSpan OldestQueuedAge => Queue.OldestQueuedAt is { } at ? _time.GetUtcNow() - at : TimeSpan.Zero;

    /// <summary>Queues a change of one night; written within <see cref="StorageOptions.FlushInterval"/> while the store works.</summary>
    public void Enqueue(NightKey key, DateOnly nightDate, IReadOnlyList<StoredEpoch> epochs, NightMetrics? metrics = null,
        IReadOnlyList<NightAssessment>? assessments = null, DateTimeOffset? end = null)
    {
        var dropped = Queue.Add(key, nightDate, epochs, metrics, assessments, end);
        if (dropped > 0)
        {
            _dropped.Add(dropped);
            if (Interlocked.Exchange(ref _dropping, 1) == 0)
            {
                Log.NightQueueFull(_logger, Queue.Epochs, Queue.Dropped);
            }
        }

        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke the writer in between: one wake-up is enough.
            }
        }
    }

    /// <summary>Writes one batch of what is queued in one transaction; on failure puts it back and throws.</summary>
    /// <returns>Nights written (0 when nothing was queued).</returns>
    internal int WriteOnce()
    {
        var batch = Queue.Take(BatchEpochs);
        if (batch.Count == 0)
        {
            return 0;
        }

        if (_role?.Role == Cluster.HubRole.Standby)
        {
            // Only the active writes nights of record (docs/high-availability.md, "Roles"): a standby scores them hot and lets
            // its changes go; once it takes over, its own changes (same night ids) are written.
            return batch.Count;
        }

        try
        {
            _store.WriteNights(batch, _time.GetUtcNow());
        }
        catch (Exception ex)
        {
            Queue.Return(batch);
            _failures.Add(1);
            Volatile.Write(ref _failure, ex.Message);
            _failingSince ??= _time.GetUtcNow();
            throw;
        }

        var epochs = batch.Sum(c => c.Epochs.Count);
        Interlocked.Add(ref _writtenCount, epochs);
        _written.Add(epochs);
        if (Volatile.Read(ref _failure) is not null)
        {
            Volatile.Write(ref _failure, null);
            Log.NightWritesRecovered(_logger, _failingSince is { } since ? _time.GetUtcNow() - since : TimeSpan.Zero, Queue.Epochs);
            _failingSince = null;
        }

        if (Volatile.Read(ref _dropping) == 1 && Queue.Epochs < BatchEpochs)
        {
            Interlocked.Exchange(ref _dropping, 0);
            Log.NightQueueHasRoom(_logger, Queue.Dropped);
        }

        return batch.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (Queue.Nights == 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                    // Let changes of many beds gather into one transaction (each epoch of each bed would be one otherwise).
                    if (_flushInterval > TimeSpan.Zero)
                    {
                        await Task.Delay(_flushInterval, _time, stoppingToken);
                    }
                }

                // Off the thread pool: a store that hangs blocks the write until its timeouts (StoreThread).
                while (await StoreThread.Run(WriteOnce, stoppingToken) > 0)
                {
                }

                backoff = TimeSpan.FromMilliseconds(250);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: a store that cannot be written (disk full, locked, server down) must not stop live scoring.
                // The batch is back in the queue; retry with backoff while the queue keeps what comes meanwhile.
                Log.NightWriteFailed(_logger, Queue.Nights, Queue.Epochs, ex);
                try
                {
                    await Task.Delay(backoff, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>A clean stop writes what is still queued, so a planned restart loses nothing of tonight.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            while (WriteOnce() > 0)
            {
            }
        }
        catch (Exception ex)
        {
            // By design: the hub is stopping; what could not be written is reported, not retried.
            Log.NightFlushFailed(_logger, Queue.Nights, Queue.Epochs, ex);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _signal.Dispose();
    }
}

using System.Data.Common;
using System.Diagnostics.Metrics;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Alarms;

/// <summary>
/// Writes the alarm engine's own changes to the store behind the ingestion thread, in order and in batches (one transaction
/// per batch). Writing each change synchronously made ingestion wait on the store's write lock (held by the vitals history
/// writer) at every raise, which delayed every bed's data and the alarm itself (docs/performance.md, "What was changed",
/// <c>AlarmStoreWriter</c>). Ordering is kept by one write lock: <see cref="SaveNow"/> (operator actions, which must fail
/// visibly) and <see cref="Flush"/> (before reads, and before the MQTT messages behind a change are acknowledged) first
/// write everything queued before them.
/// </summary>
/// <remarks>
/// It is the ingestor's <see cref="IBeforeAcknowledge"/> for alarms, rather than the engine: what must happen before a
/// message is acknowledged to the broker is that the changes it caused are stored, and this queue is where they wait.
/// </remarks>
internal sealed class AlarmStoreWriter : IBeforeAcknowledge, IDisposable
{
    private const int MaxBatch = 256;

    private readonly IAlarmStore _store;
    private readonly ILogger<AlarmStoreWriter> _logger;
    private readonly Counter<long> _failures;
    private readonly Queue<AlarmChange> _queue = new();
    private readonly Lock _write = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    public AlarmStoreWriter(IAlarmStore store, IMeterFactory meters, ILogger<AlarmStoreWriter> logger)
    {
        _store = store;
        _logger = logger;
        var meter = meters.Create(HubMetrics.MeterName);
        _failures = meter.CreateCounter<long>("somnis.alarms.store_failures", "{write}", "Alarm state changes the store could not write (kept in memory)");
        meter.CreateObservableGauge("somnis.alarms.store_queued", () => (long)Queued, "{change}", "Alarm changes waiting to be written to the store");
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Changes waiting to be written.</summary>
    public int Queued
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Queues a change; written within moments, after every change queued before it.</summary>
    public void Enqueue(Alarm? alarm, IReadOnlyList<AuditEntry> audit)
    {
        lock (_queue)
        {
            _queue.Enqueue(new AlarmChange(alarm, audit));
        }

        _signal.Release();
    }

    /// <summary>Writes everything queued, then this change; throws if this change cannot be stored.</summary>
    public void SaveNow(Alarm? alarm, IReadOnlyList<AuditEntry> audit)
    {
        lock (_write)
        {
            DrainLocked();
            _store.Save(alarm, audit);
        }
    }

    /// <summary>Writes everything queued, then these changes in one transaction; throws (nothing of them stored) if they cannot be.</summary>
    public void SaveNow(IReadOnlyList<AlarmChange> changes)
    {
        lock (_write)
        {
            DrainLocked();
            _store.SaveMany(changes);
        }
    }

    /// <summary>Writes everything queued so far before returning.</summary>
    public void Flush()
    {
        lock (_write)
        {
            DrainLocked();
        }
    }

    public ValueTask BeforeAcknowledgeAsync(CancellationToken ct)
    {
        Flush();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        // Registered under several service types, so the container may dispose it more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; what it had not written is written below.
        }

        Flush();
        _stop.Dispose();
        _signal.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                Flush();
            }
            catch (Exception ex)
            {
                // By design: a write failure is reported per change in DrainLocked; nothing here may end the loop.
                Failed(null, ex);
            }
        }
    }

    private void DrainLocked()
    {
        while (true)
        {
            List<AlarmChange> batch;
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    return;
                }

                batch = new List<AlarmChange>(Math.Min(_queue.Count, MaxBatch));
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var c))
                {
                    batch.Add(c);
                }
            }

            try
            {
                _store.SaveMany(batch);
            }
            catch (Exception ex) when (ex is DbException or IOException)
            {
                // The batch's transaction rolled back: store what can be stored one by one, report the rest. The alarms
                // themselves have already changed in memory (alarming must not stop because the disk is full).
                foreach (var c in batch)
                {
                    try
                    {
                        _store.Save(c.Alarm, c.Audit);
                    }
                    catch (Exception one) when (one is DbException or IOException)
                    {
                        Failed(c.Alarm, one);
                    }
                }
            }
        }
    }

    private void Failed(Alarm? alarm, Exception ex)
    {
        _failures.Add(1);
        Log.AlarmStoreFailed(_logger, alarm?.Id ?? "(batch)", ex);
    }
}

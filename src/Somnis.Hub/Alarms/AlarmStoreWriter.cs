using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Runtime.ExceptionServices;
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
/// <para>It is the ingestor's <see cref="IBeforeAcknowledge"/> for alarms, rather than the engine: what must happen before a
/// message is acknowledged to the broker is that the changes it caused are stored, and this queue is where they wait.</para>
/// <para>A store that cannot be reached (a <see cref="DbException"/> that says it is transient: a database server down or
/// cut off, a file locked) keeps the changes queued, in order, and they are retried with backoff, not on every
/// acknowledgement, so ingestion goes on at full speed meanwhile; operator actions fail (503) until the queue is written.
/// A change the store refuses for any other reason (disk full, a constraint) is dropped, counted and logged.</para>
/// </remarks>
internal sealed class AlarmStoreWriter : IBeforeAcknowledge, IDisposable
{
    private const int MaxBatch = 256;

    /// <summary>Changes kept while the store is unreachable, at most; beyond it the oldest are dropped (counted). A change is
    /// about a kilobyte: the bound is ~100 MB, hours of a large facility's alarm activity.</summary>
    internal const int MaxKept = 100_000;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly IAlarmStore _store;
    private readonly ILogger<AlarmStoreWriter> _logger;
    private readonly TimeProvider _time;
    private readonly Counter<long> _failures;
    private readonly Queue<Pending> _queue = new();
    private readonly Lock _write = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    // Guarded by _write: the store's outage, if any (when it began, the failure that kept the queue, the next retry).
    private DateTimeOffset? _unreachableSince;
    private Exception? _unreachable;
    private DateTimeOffset _retryAt;
    private TimeSpan _retryDelay = FirstRetryDelay;

    public AlarmStoreWriter(IAlarmStore store, IMeterFactory meters, ILogger<AlarmStoreWriter> logger, TimeProvider? time = null)
    {
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
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
    /// <param name="committed">Called with the alarm once it is stored (with HA on, notifications go out only then:
    /// docs/high-availability.md, "Notifications"); not called when the store's fence refuses it.</param>
    public void Enqueue(Alarm? alarm, IReadOnlyList<AuditEntry> audit, Action<Alarm>? committed = null)
    {
        Pending? dropped = null;
        lock (_queue)
        {
            if (_queue.Count >= MaxKept)
            {
                // Only while the store is unreachable does the queue grow this long. A later version of an alarm replaces an
                // earlier one, so the oldest change is the one that costs least.
                dropped = _queue.Dequeue();
            }

            _queue.Enqueue(new Pending(new AlarmChange(alarm, audit), committed));
        }

        if (dropped is not null)
        {
            Failed(dropped.Change.Alarm, new InvalidOperationException($"more than {MaxKept} alarm changes waiting for an unreachable store: the oldest is dropped"));
        }

        _signal.Release();
    }

    /// <summary>Writes everything queued, then this change; throws if this change cannot be stored.</summary>
    public void SaveNow(Alarm? alarm, IReadOnlyList<AuditEntry> audit)
    {
        lock (_write)
        {
            DrainOrThrowLocked();
            _store.Save(alarm, audit);
        }
    }

    /// <summary>Writes everything queued, then these changes in one transaction; throws (nothing of them stored) if they cannot be.</summary>
    public void SaveNow(IReadOnlyList<AlarmChange> changes)
    {
        lock (_write)
        {
            DrainOrThrowLocked();
            _store.SaveMany(changes);
        }
    }

    /// <summary>Writes everything queued so far before returning; while the store is unreachable, only when its retry is due
    /// (the changes stay queued).</summary>
    public void Flush()
    {
        lock (_write)
        {
            DrainLocked(force: false);
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

        lock (_write)
        {
            DrainLocked(force: true);
            if (Queued is > 0 and var left && _unreachable is { } why)
            {
                // The hub is stopping and the store is still unreachable: what is left is reported, not retried.
                Failed(null, new InvalidOperationException($"{left} alarm changes not written at shutdown: {why.Message}", why));
            }
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // While changes are kept for an unreachable store, new ones only queue: the next attempt is at its retry time.
                if (RetryIn() is { } wait)
                {
                    await Task.Delay(wait, _time, _stop.Token);
                }
                else
                {
                    await _signal.WaitAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                // Off the thread pool: a store that hangs blocks this call until its timeouts (StoreThread).
                await Storage.StoreThread.Run(Flush);
            }
            catch (Exception ex)
            {
                // By design: a write failure is reported per change in DrainLocked; nothing here may end the loop.
                Failed(null, ex);
            }
        }
    }

    private TimeSpan? RetryIn()
    {
        lock (_write)
        {
            return _unreachable is null ? null : _retryAt - _time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Drains the queue now, whatever the retry schedule; throws the store's failure if changes are still kept.</summary>
    private void DrainOrThrowLocked()
    {
        if (DrainLocked(force: true) is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <returns>The failure that keeps changes queued (store unreachable), or null when everything queued was handled.</returns>
    private Exception? DrainLocked(bool force)
    {
        if (_unreachable is { } kept && !force && _time.GetUtcNow() < _retryAt)
        {
            return kept;
        }

        while (true)
        {
            List<Pending> batch;
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    return null;
                }

                batch = new List<Pending>(Math.Min(_queue.Count, MaxBatch));
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var c))
                {
                    batch.Add(c);
                }
            }

            try
            {
                _store.SaveMany([.. batch.Select(p => p.Change)]);
                Reachable();
                Committed(batch);
            }
            catch (Cluster.FencedException ex)
            {
                // This node no longer holds the lease: the active decides now. Dropped, never notified.
                Reachable();
                Log.AlarmChangesFenced(_logger, ex.Message, batch.Count);
            }
            catch (Exception ex) when (IsUnreachable(ex))
            {
                return Unreachable(batch, ex);
            }
            catch (Exception ex) when (ex is DbException or IOException)
            {
                // The batch's transaction rolled back: store what can be stored one by one, report the rest. The alarms
                // themselves have already changed in memory (alarming must not stop because the disk is full).
                for (var i = 0; i < batch.Count; i++)
                {
                    var c = batch[i];
                    try
                    {
                        _store.Save(c.Change.Alarm, c.Change.Audit);
                        Reachable();
                        Committed([c]);
                    }
                    catch (Exception one) when (IsUnreachable(one))
                    {
                        return Unreachable(batch[i..], one);
                    }
                    catch (Exception one) when (one is DbException or IOException)
                    {
                        // As without a store: the alarm has changed and is notified, though not stored.
                        Failed(c.Change.Alarm, one);
                        Committed([c]);
                    }
                }
            }
        }
    }

    private static bool IsUnreachable(Exception ex) => ex is DbException { IsTransient: true };

    /// <summary>Puts <paramref name="unwritten"/> back at the head of the queue, in order, and schedules the next attempt.</summary>
    private Exception Unreachable(List<Pending> unwritten, Exception ex)
    {
        int queued;
        lock (_queue)
        {
            var rest = _queue.ToArray();
            _queue.Clear();
            foreach (var c in unwritten.Concat(rest))
            {
                _queue.Enqueue(c);
            }

            queued = _queue.Count;
        }

        var now = _time.GetUtcNow();
        if (_unreachable is null)
        {
            _unreachableSince = now;
            _retryDelay = FirstRetryDelay;
        }
        else
        {
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
        }

        _unreachable = ex;
        _retryAt = now + _retryDelay;
        Log.AlarmStoreUnreachable(_logger, ex.Message, queued, _retryDelay);
        return ex;
    }

    /// <summary>Tells each stored change's listener (notifications after the commit); one that throws costs the others nothing.</summary>
    private void Committed(List<Pending> written)
    {
        foreach (var p in written)
        {
            if (p.Committed is { } committed && p.Change.Alarm is { } alarm)
            {
                try
                {
                    committed(alarm);
                }
                catch (Exception ex)
                {
                    // By design: a failing notifier must not undo or block the stored change.
                    Log.AlarmNotifyFailed(_logger, alarm.Id, ex);
                }
            }
        }
    }

    private void Reachable()
    {
        if (_unreachable is not null)
        {
            Log.AlarmStoreRecovered(_logger, _time.GetUtcNow() - (_unreachableSince ?? _time.GetUtcNow()));
            _unreachable = null;
            _unreachableSince = null;
        }
    }

    private void Failed(Alarm? alarm, Exception ex)
    {
        _failures.Add(1);
        Log.AlarmStoreFailed(_logger, alarm?.Id ?? "(batch)", ex);
    }

    /// <summary>A queued change and who is told once it is stored.</summary>
    private sealed record Pending(AlarmChange Change, Action<Alarm>? Committed);
}

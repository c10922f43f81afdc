using System.Runtime.InteropServices;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Storage;

/// <summary>
/// Writes accepted vitals into the embedded store in batches. Ingestion only enqueues (never waits on the disk); a
/// full queue drops from the history, never from the live state, and every drop is counted
/// (<c>somnis.store.vitals.dropped</c>) and logged when it starts and when it ends. A failing write keeps its batch and
/// is retried with backoff; on a clean stop the queue is flushed.
/// </summary>
internal sealed class VitalsHistoryWriter : BackgroundService, IVitalsRecorder, IBeforeAcknowledge
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly SomnisStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<VitalsHistoryWriter> _logger;
    private readonly int _batchSize;
    private readonly TimeSpan _flushInterval;
    private TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _filling;
    private readonly VitalsSeries _series = new();
    private readonly Lock _gate = new();
    private List<VitalsRow> _incoming = [];
    private List<VitalsRow> _pending = [];
    private int _pendingDone;
    private long _enqueued;
    private readonly HistoryJournal _journal;
    private List<VitalsRow> _unjournaled = [];
    private List<VitalsRow> _journalSpare = [];
    private long _journalStart = -1;
    private bool _journalBroken;
    private long _pendingThrough;
    private long _committedThrough;
    private int _running;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _idle;
    private readonly int _capacity;
    private int _count;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _failures;
    private long _writtenCount;
    private long _droppedCount;
    private long _dropsAtLastReport;
    private int _dropping;
    private string? _failure;

    public VitalsHistoryWriter(SomnisStore store, IOptions<StorageOptions> options, TimeProvider time, IMeterFactory meters, ILogger<VitalsHistoryWriter> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _batchSize = options.Value.BatchSize;
        _flushInterval = options.Value.FlushInterval;
        _journal = new HistoryJournal(Path.Combine(Path.GetDirectoryName(store.DatabasePath)!, "history-journal"));
        // Two reused lists swapped by the writer once per batch, the bound kept by _count, and a wake-up only when the
        // writer sleeps: ingestion takes a lock the writer holds only for the swap. (A bounded channel shares a lock with
        // its reader on every item, and that lock spun on the ingestion thread; a queue of parsed messages made every
        // message survive the young generation: docs/performance.md, "What was changed", lock contention, VitalsRow.)
        _capacity = options.Value.QueueCapacity;
        var meter = meters.Create(HubMetrics.MeterName);
        _written = meter.CreateCounter<long>("somnis.store.vitals.written", "{message}", "Vitals written to the embedded store (redeliveries excluded)");
        _dropped = meter.CreateCounter<long>("somnis.store.vitals.dropped", "{message}", "Vitals not stored because the store's queue was full");
        _failures = meter.CreateCounter<long>("somnis.store.write.failures", "{batch}", "Failed write transactions of the embedded store (retried)");
        meter.CreateObservableGauge("somnis.store.vitals.queued", () => (long)Volatile.Read(ref _count), "{message}", "Vitals waiting to be written to the embedded store");
    }

    public long Written => Interlocked.Read(ref _writtenCount);

    public long Dropped => Interlocked.Read(ref _droppedCount);

    /// <summary>Accepted and not yet written (waiting, or in a batch being written or retried).</summary>
    public int Queued => Volatile.Read(ref _count);

    /// <summary>Why the last write failed, or null when the last write succeeded.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    public void Record(string facility, VitalsMessage vitals)
    {
        var queued = Interlocked.Increment(ref _count);
        if (queued <= _capacity)
        {
            var row = new VitalsRow(_series.IdOf(facility, vitals.Bed), vitals);
            lock (_gate)
            {
                _incoming.Add(row);
                _enqueued++;
                if (_journalStart >= 0)
                {
                    if (_unjournaled.Count < _capacity)
                    {
                        _unjournaled.Add(row);
                    }
                    else
                    {
                        // Nobody has acknowledged through the journal for a whole queue's worth (no ingestor, or it is
                        // stuck): stop keeping rows for it; the next acknowledgement starts it again after a commit.
                        _journalStart = -1;
                        _unjournaled.Clear();
                    }
                }
            }

            if (Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
            {
                Volatile.Read(ref _wake).TrySetResult();
            }

            if (queued >= _batchSize && Volatile.Read(ref _filling) == 1 && Interlocked.Exchange(ref _filling, 0) == 1)
            {
                Volatile.Read(ref _full).TrySetResult();
            }

            return;
        }

        Interlocked.Decrement(ref _count);

        var total = Interlocked.Increment(ref _droppedCount);
        _dropped.Add(1);
        if (Interlocked.Exchange(ref _dropping, 1) == 0)
        {
            Log.StoreQueueFull(_logger, Volatile.Read(ref _count), total);
        }
    }

    /// <summary>Writes the kept batch, or else the next batch of what is queued, in one transaction.</summary>
    /// <returns>Messages taken off the queue and written (0 when there was nothing to do).</returns>
    internal int WriteOnce()
    {
        if (_pendingDone == _pending.Count)
        {
            _pending.Clear();
            _pendingDone = 0;
            lock (_gate)
            {
                (_incoming, _pending) = (_pending, _incoming);
                _pendingThrough = _enqueued;
            }

            // In key order (bed, facility, time): the inserts then walk the table's B-tree from one end to the other and
            // each page is written once per batch, instead of jumping between beds (docs/performance.md, "What was
            // changed", page cache).
            _series.SortByKey(CollectionsMarshal.AsSpan(_pending));
        }

        var batch = CollectionsMarshal.AsSpan(_pending)[_pendingDone..];
        if (batch.IsEmpty)
        {
            Committed(_pendingThrough);
            return 0;
        }

        batch = batch[..Math.Min(batch.Length, _batchSize)];
        int inserted;
        try
        {
            inserted = _store.AppendVitals(batch, _series);
        }
        catch (Exception ex)
        {
            _failures.Add(1);
            Volatile.Write(ref _failure, ex.Message);
            Pulse();
            throw;
        }

        var taken = batch.Length;
        _pendingDone += taken;
        if (_pendingDone == _pending.Count)
        {
            Committed(_pendingThrough);
        }

        Interlocked.Add(ref _count, -taken);
        Interlocked.Add(ref _writtenCount, inserted);
        _written.Add(inserted);
        if (Volatile.Read(ref _failure) is not null)
        {
            Volatile.Write(ref _failure, null);
            Log.StoreWritesRecovered(_logger);
        }

        // The drop episode ends once the queue has room again; report how much history it cost.
        if (Volatile.Read(ref _dropping) == 1 && Volatile.Read(ref _count) < _batchSize)
        {
            Interlocked.Exchange(ref _dropping, 0);
            var total = Dropped;
            Log.StoreQueueDrained(_logger, total - _dropsAtLastReport, total);
            _dropsAtLastReport = total;
        }

        return taken;
    }

    /// <summary>
    /// Completes once every row recorded before the call is durable, so the ingestor saves its accounting and
    /// acknowledges the messages only after their history is safe: otherwise a hub killed in between lost up to a batch
    /// of history (the broker does not redeliver acknowledged messages, and a redelivered one counts as a duplicate once
    /// the accounting is saved). Durable means appended to the <see cref="HistoryJournal"/> (one fsynced append per
    /// checkpoint) or committed to the store. Waiting for the store alone held every message in memory for up to
    /// <see cref="StorageOptions.FlushInterval"/> (docs/performance.md, "What was changed", history journal); the
    /// journal keeps acknowledgements at the checkpoint's pace and the batches full. Without the journal (before its first append, after it failed) this
    /// waits for the commit, but not while writes fail or the writer is not running: the live state must not stall on a
    /// failing disk, and that failure is already reported (<c>/readyz</c>, <c>somnis.store.write.failures</c>, the log).
    /// </summary>
    public async ValueTask BeforeAcknowledgeAsync(CancellationToken ct)
    {
        long target;
        long start;
        List<VitalsRow>? batch = null;
        lock (_gate)
        {
            target = _enqueued;
            if (_journalBroken)
            {
                start = -1;
            }
            else if (_journalStart < 0)
            {
                // Keep rows for the journal from here on; what came before must reach the store.
                _journalStart = _enqueued;
                start = _journalStart;
            }
            else
            {
                start = _journalStart;
                batch = _unjournaled;
                _unjournaled = _journalSpare;
            }
        }

        if (batch is not null)
        {
            try
            {
                if (batch.Count > 0)
                {
                    _journal.Append(CollectionsMarshal.AsSpan(batch), _series, target);
                }
            }
            catch (Exception ex)
            {
                // By design: a journal that cannot be written (disk full, removed) turns itself off, and
                // acknowledgements wait for the store instead, as they would without it.
                lock (_gate)
                {
                    _journalBroken = true;
                    _journalStart = -1;
                    _unjournaled.Clear();
                }

                Log.HistoryJournalFailed(_logger, _journal.Directory, ex);
                start = -1;
            }
            finally
            {
                batch.Clear();
                _journalSpare = batch;
            }
        }

        // Everything below start is journaled; below that, and everything when there is no journal, must be committed.
        var committed = start >= 0 ? start : target;
        while (true)
        {
            // Read the pulse before the state: a change after this read completes it.
            var progress = Volatile.Read(ref _progress);
            if (Interlocked.Read(ref _committedThrough) >= committed || Volatile.Read(ref _running) == 0 || Failure is not null)
            {
                return;
            }

            await progress.Task.WaitAsync(ct);
        }
    }

    private void Committed(long through)
    {
        Interlocked.Exchange(ref _committedThrough, through);
        Pulse();
        try
        {
            _journal.Committed(through);
        }
        catch (IOException ex)
        {
            // By design: a segment that cannot be deleted now is replayed (and skipped as stored) at the next start.
            Log.HistoryJournalNotDeleted(_logger, _journal.Directory, ex);
        }
    }

    private void Pulse() =>
        Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Running from here (the loop itself starts on another thread): acknowledgements wait for it.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // What the last run journaled but did not commit (a crash, a kill) goes into the store before anything new.
        var replayed = _journal.Replay(_store, _batchSize);
        if (replayed > 0)
        {
            Log.HistoryJournalReplayed(_logger, replayed, _journal.Directory);
        }

        Volatile.Write(ref _running, 1);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WriteLoopAsync(stoppingToken);
        }
        finally
        {
            Stopped();
        }
    }

    private void Stopped()
    {
        Volatile.Write(ref _running, 0);
        Pulse();
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_pendingDone == _pending.Count)
                {
                    await WaitForWorkAsync(stoppingToken);
                    await LetTheBatchFillAsync(stoppingToken);
                }

                WriteOnce();
                backoff = TimeSpan.FromMilliseconds(250);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: a failing disk (full, locked, removed) must not stop ingestion. The batch is kept and
                // retried; meanwhile the queue absorbs new vitals and overflow is counted as dropped.
                Log.StoreWriteFailed(_logger, _pending.Count - _pendingDone, ex);
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

    private async Task WaitForWorkAsync(CancellationToken ct)
    {
        while (Volatile.Read(ref _count) == 0)
        {
            // Publish the wake-up before saying "idle", then look again: a message enqueued in between is either seen
            // here or its writer sees "idle" and completes this wake-up. No lost wake-up, no lock.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            Interlocked.Exchange(ref _idle, 1);
            if (Volatile.Read(ref _count) != 0)
            {
                Interlocked.Exchange(ref _idle, 0);
                return;
            }

            await wake.Task.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Waits up to <see cref="StorageOptions.FlushInterval"/> (default 3 s), or until a whole batch
    /// (<see cref="StorageOptions.BatchSize"/>, default 100,000 rows) is queued. A transaction writes every page it
    /// touches, about one per bed, whatever the number of rows on it, so the more rows per bed a batch has the less each
    /// row costs: 100,000 rows are about 100 per bed of a 1,000-bed facility. Writing as soon as anything was queued made
    /// the batches only as large as the writer was slow (docs/performance.md, "What was changed", history batch).
    /// </summary>
    internal async Task LetTheBatchFillAsync(CancellationToken ct)
    {
        if (_flushInterval <= TimeSpan.Zero || Volatile.Read(ref _count) >= _batchSize)
        {
            return;
        }

        // The same no-lost-wake-up order as WaitForWorkAsync: publish the signal, say "filling", then look again.
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _full, full);
        Interlocked.Exchange(ref _filling, 1);
        try
        {
            if (Volatile.Read(ref _count) < _batchSize)
            {
                await full.Task.WaitAsync(_flushInterval, _time, ct);
            }
        }
        catch (TimeoutException)
        {
            // The interval is over: write what there is.
        }
        finally
        {
            Interlocked.Exchange(ref _filling, 0);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _journal.Dispose();
    }

    /// <summary>A clean stop writes what is still queued, so a planned restart loses nothing. (Here rather than at the
    /// end of <see cref="ExecuteAsync"/>: a stop that comes before the loop ever ran must flush too.)</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Stopped();
        try
        {
            while (WriteOnce() > 0)
            {
            }
        }
        catch (Exception ex)
        {
            // By design: the hub is stopping; what could not be written is reported, not retried.
            Log.StoreFlushFailed(_logger, Queued, ex);
        }
    }
}

using Microsoft.Extensions.Logging;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// One bed's store-and-forward journal. Every data message (vitals, Architect event) and every gap report is
/// appended here before it is published, and removed only after the broker's QoS 1 acknowledgement.
/// <para>
/// The parts: records are encoded by <see cref="JournalCodec"/> and kept in segments by an <see cref="ISegmentStore"/>
/// (<see cref="FileSegmentStore"/> with <c>--journal DIR</c>, which also holds the <see cref="JournalState"/> file and
/// the disk-full handling; else <see cref="MemorySegmentStore"/>); the pending records and the backlog/live split are
/// the <see cref="JournalQueue"/>; the start-up read is <see cref="JournalRecovery"/>. This class ties them together
/// and owns the bounds and the gap reports.
/// </para>
/// <para>
/// On disk a record is published only once it is fsynced (batched: every <see cref="JournalSettings.FlushInterval"/>
/// or <see cref="JournalSettings.FlushBytes"/>), so a power cut can never make the edge reuse a sequence number the
/// hub has already seen. A delivered segment file stays on disk until the size bound needs the room, so the hub can
/// ask for a resend of data the broker acknowledged and then lost (<see cref="Resend"/>); in memory, delivered
/// records are freed at once. At start-up a torn or corrupted record is skipped, the sequence range it held is logged
/// and reported upstream as a <see cref="GapMessage"/>, and the surviving undelivered records are compacted into a
/// fresh segment (so a corruption is reported once). The edge starts regardless.
/// </para>
/// Bounds (<c>Journal.Bounds.cs</c>): when the journal's bytes exceed <see cref="JournalSettings.MaxBytes"/> the
/// oldest segment is dropped (usually one whose records were all delivered: nothing lost); an undelivered record older
/// than <see cref="JournalSettings.MaxAge"/> is dropped; on a full disk the oldest segment goes to make room. Either
/// way the drop is counted, logged and reported as a gap with its sequence and event-time range.
/// </summary>
internal sealed partial class Journal : IDisposable
{
    /// <summary>A message counts as backlog once it has waited this long: live data in its normal fsync-and-publish
    /// pipeline (a fraction of a second) is not a delay worth showing.</summary>
    public static readonly TimeSpan BacklogAfter = TimeSpan.FromSeconds(1);

    private readonly object _sync = new();
    private readonly JournalSettings _settings;
    private readonly string _bed;
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset> _deviceNow;
    private readonly ILogger _logger;
    private readonly ISegmentStore _store;
    private readonly JournalQueue _queue = new();
    private readonly Action _removeOldest;

    /// <summary>What making room on a full disk removed during the current write: carried forward and reported after it.</summary>
    private List<(List<JournalEntry> Carried, List<JournalEntry> Dropped)>? _madeRoom;
    private long _nextIndex = 1;
    private long _lastSeq;
    private DateTimeOffset? _lastEventTs;
    private long _dropped;
    private long _unflushedBytes;
    private bool _disposed;

    private Journal(JournalSettings settings, string bed, TimeProvider time, Func<DateTimeOffset> deviceNow, ILogger logger)
    {
        _settings = settings;
        _bed = bed;
        _time = time;
        _deviceNow = deviceNow;
        _logger = logger;
        _store = settings.Directory is { } dir ? new FileSegmentStore(dir, bed, time, Snapshot, logger) : new MemorySegmentStore();
        _removeOldest = RemoveOldest;
    }

    /// <summary>Opens (or creates) the journal: recovers undelivered records, reports corruption as gaps.</summary>
    /// <exception cref="IOException">The directory cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static Journal Open(JournalSettings settings, string bed, TimeProvider time, Func<DateTimeOffset> deviceNow, ILogger logger)
    {
        var journal = new Journal(settings, bed, time, deviceNow, logger);
        lock (journal._sync)
        {
            journal.Recover();
        }

        return journal;
    }

    /// <summary>Highest data sequence number ever journaled (or lost to corruption); the bed continues after it.</summary>
    public long LastSequence => Locked(static j => j._lastSeq);

    /// <summary>Event time of the newest data record ever journaled; a simulated device clock continues from it.</summary>
    public DateTimeOffset? LastEventTime => Locked(static j => j._lastEventTs);

    /// <summary>Records not yet acknowledged by the broker.</summary>
    public int Backlog => Locked(static j => j._queue.Count);

    /// <summary>Data records dropped by a bound or corruption since the journal was created.</summary>
    public long Dropped => Locked(static j => j._dropped);

    /// <summary>Appends that could not be written to disk and are held in memory only.</summary>
    public long WriteFailures => _store.WriteFailures;

    /// <summary>Bytes the journal occupies (segment files, or payloads in memory).</summary>
    public long Bytes => Locked(static j => j._store.Bytes);

    /// <summary>True when there are backlog records (older than the last reconnect) still to replay.</summary>
    public bool HasBacklog => Locked(static j => j._queue.HasBacklog);

    /// <summary>What the status reports: messages held for more than <see cref="BacklogAfter"/>, the event time of the
    /// oldest, the drop count and the journal kind.</summary>
    public DeliveryStatus Status()
    {
        lock (_sync)
        {
            var (held, oldest) = _queue.AppendedBefore(_time.GetUtcNow() - BacklogAfter);
            return new DeliveryStatus(held, oldest, _dropped, _store.Kind);
        }
    }

    /// <summary>Appends a data message (vitals or Architect event) and applies the bounds.</summary>
    public void Append(RecordKind kind, long seq, DateTimeOffset eventTs, ReadOnlyMemory<byte> payload)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            EvictAged(now);
            AppendLocked(kind, seq, eventTs, now, payload);
            EnforceSize();
        }
    }

    /// <summary>
    /// Everything pending now is backlog (replayed oldest first, rate-limited); whatever is appended from now on is
    /// live. Called on every (re)connect.
    /// </summary>
    public void MarkReconnected()
    {
        lock (_sync)
        {
            _queue.MarkReconnected(_nextIndex);
        }
    }

    /// <summary>
    /// The next record to publish, marked in flight: the oldest backlog record not yet in flight when
    /// <paramref name="replayAllowed"/>, else the oldest such live record. Only fsynced records are handed out. Null
    /// when nothing is ready.
    /// </summary>
    public JournalEntry? Next(bool replayAllowed, out bool isReplay)
    {
        lock (_sync)
        {
            return _queue.Next(replayAllowed, out isReplay);
        }
    }

    /// <summary>The broker acknowledged the record: it leaves the journal.</summary>
    public void Acknowledge(JournalEntry entry)
    {
        lock (_sync)
        {
            entry.InFlight = false;
            if (entry.EvictedFor is null && entry.Node is not null)
            {
                _queue.Remove(entry);
                Release(entry);
            }
        }
    }

    /// <summary>Publishing the record failed: it stays journaled (unless a bound removed it meanwhile, then it is reported).</summary>
    public void Failed(JournalEntry entry)
    {
        lock (_sync)
        {
            entry.InFlight = false;
            if (entry.EvictedFor is { } reason && entry.IsData)
            {
                ReportDropped([entry], reason);
                EnforceSize();
            }
        }
    }

    /// <summary>
    /// The hub is missing [from, to] although they left the journal (acknowledged by a broker that then lost them):
    /// journals again those still held in delivered segments, and reports the rest as a <c>not-retained</c> gap.
    /// Returns how many were found and how many were not.
    /// </summary>
    public (int Resent, long NotRetained) Resend(long from, long to)
    {
        lock (_sync)
        {
            to = Math.Min(to, _lastSeq);
            if (_disposed || to < from)
            {
                return (0, 0);
            }

            var found = _queue.DataSequences(from, to);
            var again = _store.ReadDelivered(from, to).Where(e => found.Add(e.Seq)).ToList();
            var now = _time.GetUtcNow();
            foreach (var e in again.OrderBy(e => e.Seq))
            {
                AppendLocked(e.Kind, e.Seq, e.EventTs, now, e.Payload);
            }

            long notRetained = 0;
            for (var seq = from; seq <= to; seq++)
            {
                if (found.Contains(seq))
                {
                    continue;
                }

                var end = seq;
                while (end < to && !found.Contains(end + 1))
                {
                    end++;
                }

                notRetained += end - seq + 1;
                AppendGap(new GapMessage { Bed = _bed, Ts = _deviceNow(), FromSeq = seq, ToSeq = end, Count = end - seq + 1, Reason = GapReasons.NotRetained });
                seq = end;
            }

            Log.JournalResend(_logger, _bed, from, to, again.Count, notRetained);
            EnforceSize();
            return (again.Count, notRetained);
        }
    }

    /// <summary>fsyncs what was written since the last flush (the batching point), applies the age bound, and
    /// saves the state when due. Returns true when records became publishable.</summary>
    public bool Flush()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            EvictAged(now);
            var became = FlushLocked();
            _store.SaveStateIfDue(now);
            return became;
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                FlushLocked();
                if (!_store.SaveState())
                {
                    Log.JournalWriteFailed(_logger, _bed, "the state file could not be written at shutdown (disk full); the next start reads the records instead");
                }
            }
            catch (IOException ex)
            {
                // By design: shutting down; the records are on disk already and a stale state only costs duplicates.
                Log.JournalWriteFailed(_logger, _bed, ex.Message);
            }

            _store.Dispose();
            _disposed = true;
        }
    }

    private T Locked<T>(Func<Journal, T> read)
    {
        lock (_sync)
        {
            return read(this);
        }
    }

    /// <summary>What the state file records now (called by the store under the lock).</summary>
    private JournalState Snapshot() => new(_queue.Oldest?.Index ?? _nextIndex, _nextIndex, _lastSeq, _lastEventTs, _dropped);

    private bool FlushLocked()
    {
        if (_unflushedBytes == 0 && _queue.DurableBelow == _nextIndex)
        {
            return false;
        }

        _store.Flush();
        _unflushedBytes = 0;
        var became = _queue.DurableBelow < _nextIndex;
        _queue.DurableBelow = _nextIndex;
        return became;
    }

    private void AppendLocked(RecordKind kind, long seq, DateTimeOffset eventTs, DateTimeOffset appendedAt, ReadOnlyMemory<byte> payload)
    {
        if (_store.Current.Bytes >= _settings.SegmentBytes)
        {
            Roll();
        }

        // The index is taken only once the record has its place: making room on a full disk may roll to a new
        // segment, which is named after the index of its first record.
        var entry = new JournalEntry { Index = _nextIndex, Kind = kind, Seq = seq, EventTs = eventTs, AppendedAt = appendedAt, Payload = payload };
        _store.Write(entry, _removeOldest);
        var removed = _madeRoom;
        _madeRoom = null;
        _nextIndex++;
        _unflushedBytes += JournalCodec.SizeOf(payload.Length);
        _queue.Add(entry);
        if (entry.IsData)
        {
            _lastSeq = Math.Max(_lastSeq, seq);
            _lastEventTs = _lastEventTs is { } last && last > eventTs ? last : eventTs;
        }

        _store.StateChanged();
        if (!_store.NeedsFlush)
        {
            _queue.DurableBelow = _nextIndex;
            _unflushedBytes = 0;
        }
        else if (_unflushedBytes >= _settings.FlushBytes)
        {
            FlushLocked();
        }

        // What making room removed is carried forward and reported only now, after this record: those appends may
        // need room themselves, and the journal's order (index) must stay the order of the queue.
        foreach (var (carried, dropped) in removed ?? [])
        {
            CarryAndReport(carried, dropped, GapReasons.DiskFull);
        }
    }

    /// <summary>A record left the queue: its segment goes once nothing in it is pending, unless it is kept for resends.</summary>
    private void Release(JournalEntry entry)
    {
        _store.StateChanged();
        var segment = entry.Segment!;
        segment.Pending--;
        if (segment.Pending == 0 && segment != _store.Current && !segment.KeptWhenDelivered)
        {
            _store.Delete(segment);
        }
    }

    private void Roll()
    {
        FlushLocked();
        if (_store.Roll(_nextIndex) is { Pending: 0, KeptWhenDelivered: false } old)
        {
            _store.Delete(old);
        }
    }
}

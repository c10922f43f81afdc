using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>What a journal record holds; the topic is rebuilt from the kind, so it is not stored.</summary>
internal enum RecordKind : byte
{
    Vitals = 1,
    Architect = 2,
    Gap = 3,
}

/// <summary>One journaled message. Mutable flags are only touched under the journal's lock.</summary>
internal sealed class JournalEntry
{
    public required long Index { get; init; }

    public required RecordKind Kind { get; init; }

    /// <summary>Data sequence number; 0 for gap reports.</summary>
    public required long Seq { get; init; }

    public required DateTimeOffset EventTs { get; init; }

    /// <summary>Real (TimeProvider) time the record entered the journal; the age bound counts from here.</summary>
    public required DateTimeOffset AppendedAt { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    internal JournalSegment? Segment { get; set; }

    internal LinkedListNode<JournalEntry>? Node { get; set; }

    internal bool InFlight { get; set; }

    /// <summary>Removed by a bound while being published; if that publish fails the record is reported as a gap.</summary>
    internal string? EvictedFor { get; set; }

    public bool IsData => Kind is RecordKind.Vitals or RecordKind.Architect;

    public string TopicKind => Kind switch
    {
        RecordKind.Vitals => Topics.Vitals,
        RecordKind.Architect => Topics.Architect,
        _ => Topics.Gap,
    };
}

/// <summary>One segment file (or, without a directory, its in-memory equivalent).</summary>
internal sealed class JournalSegment(long firstIndex, string? path, FileStream? stream)
{
    public long FirstIndex { get; } = firstIndex;

    public string? Path { get; } = path;

    public FileStream? Stream { get; set; } = stream;

    public long Bytes { get; set; }

    /// <summary>Bytes actually in the file (records that could not be written are counted in <see cref="Bytes"/> only).</summary>
    public long DiskBytes { get; set; }

    public int Pending { get; set; }

    /// <summary>Lowest and highest data sequence number written to the segment (0 when none).</summary>
    public long MinSeq { get; set; }

    public long MaxSeq { get; set; }
}

/// <summary>Bounds and flush policy of one bed's journal (from <see cref="EdgeOptions"/>).</summary>
internal sealed record JournalSettings(string? Directory, long MaxBytes, TimeSpan MaxAge, long SegmentBytes, TimeSpan FlushInterval, long FlushBytes)
{
    public static JournalSettings For(EdgeOptions o, string facility, string bed) => new(
        o.Journal is { Length: > 0 } dir ? System.IO.Path.Combine(dir, facility, bed) : null,
        o.JournalMaxBytes,
        o.JournalMaxAge,
        o.JournalSegmentBytes,
        o.JournalFlushInterval,
        o.JournalFlushBytes);
}

/// <summary>
/// One bed's store-and-forward journal. Every data message (vitals, Architect event) and every gap report is
/// appended here before it is published, and removed only after the broker's QoS 1 acknowledgement.
/// <para>
/// On disk (<c>--journal DIR</c>, per bed <c>DIR/{facility}/{bed}/</c>) it is a series of append-only segment files
/// <c>{first index:D20}.seg</c> of checksummed records, plus a small <c>state</c> file (acknowledged-below index, last
/// sequence number, drop count). Each record is handed to the OS with one <c>write</c> as it is appended, so it
/// survives <c>kill -9</c>; <c>fsync</c> is batched (every <see cref="JournalSettings.FlushInterval"/> or
/// <see cref="JournalSettings.FlushBytes"/>, whichever comes first) and a record is published only once it is
/// fsynced, so a power cut can never make the edge reuse a sequence number the hub has already seen.
/// A delivered segment file stays on disk until the size bound needs the room, so the hub can ask for a resend of
/// data the broker acknowledged and then lost (<see cref="Resend"/>); in memory, delivered records are freed at once.
/// </para>
/// <para>
/// Record layout (little-endian): magic <c>SSJL</c> (u32), body length (i32), CRC-32 of the body (u32); body: kind (u8),
/// journal index (i64), sequence (i64), event time (i64 Unix ms), appended-at (i64 Unix ms), payload (JSON as sent).
/// At start-up every segment is read; a record with a bad checksum or a torn tail is skipped, the sequence range it
/// held is logged and reported upstream as a <see cref="GapMessage"/>, and the surviving undelivered records are
/// compacted into a fresh segment (so a corruption is reported once). The edge starts regardless.
/// </para>
/// Bounds: when the journal's bytes exceed <see cref="JournalSettings.MaxBytes"/> the oldest segment is dropped (usually
/// one whose records were all delivered: nothing lost); an undelivered record older than <see cref="JournalSettings.MaxAge"/> is dropped. Either way the drop is counted, logged and
/// reported as a gap with its sequence and event-time range; gap reports themselves are carried forward, never dropped.
/// <para>
/// Disk full (ENOSPC, or the quota): the same rule, the oldest data goes. The bed removes its oldest segment (delivered
/// segments kept for resends are the oldest, so usually nothing is lost), truncates the torn write and tries again,
/// segment by segment; undelivered records removed this way are counted, logged and reported as a <c>disk-full</c> gap
/// with their sequence and event-time range. Only when the bed has nothing left to remove (another program filled the
/// disk) is a record held in memory alone (counted in <see cref="WriteFailures"/>, logged): it is still published, but
/// would not survive a restart. The edge never stops for a full disk.
/// </para>
/// <para>
/// Names are made durable too: the directory is fsynced after a segment file is created or deleted (see
/// <see cref="DirectorySync"/>), only then, so it costs a few fsyncs per segment.
/// </para>
/// </summary>
internal sealed class Journal : IDisposable
{
    public const int HeaderBytes = 12;
    public const int BodyFixedBytes = 33;
    private const uint Magic = 0x4C4A5353; // "SSJL" as little-endian bytes
    private const int MaxBodyBytes = BodyFixedBytes + (4 * Protocol.MaxPayloadBytes);
    private const string StateFile = "state";
    private static readonly TimeSpan StateInterval = TimeSpan.FromSeconds(1);

    private readonly object _sync = new();
    private readonly JournalSettings _settings;
    private readonly string _bed;
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset> _deviceNow;
    private readonly ILogger _logger;
    private readonly LinkedList<JournalEntry> _pending = new();
    private readonly LinkedList<JournalSegment> _segments = new();
    private JournalSegment _current = null!;
    private LinkedListNode<JournalEntry>? _firstLive;
    private long _nextIndex = 1;
    private long _durableBelow = 1;
    private long _liveFrom = 1;
    private long _lastSeq;
    private DateTimeOffset? _lastEventTs;
    private long _dropped;
    private long _totalBytes;
    private long _unflushedBytes;
    private long _writeFailures;
    private bool _writeFailing;
    private bool _syncFailureLogged;
    private bool _stateDirty;
    private DateTimeOffset _stateWrittenAt;
    private bool _disposed;

    private Journal(JournalSettings settings, string bed, TimeProvider time, Func<DateTimeOffset> deviceNow, ILogger logger)
    {
        _settings = settings;
        _bed = bed;
        _time = time;
        _deviceNow = deviceNow;
        _logger = logger;
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

    public bool OnDisk => _settings.Directory is not null;

    /// <summary>Highest data sequence number ever journaled (or lost to corruption); the bed continues after it.</summary>
    public long LastSequence
    {
        get
        {
            lock (_sync)
            {
                return _lastSeq;
            }
        }
    }

    /// <summary>Event time of the newest data record ever journaled; a simulated device clock continues from it.</summary>
    public DateTimeOffset? LastEventTime
    {
        get
        {
            lock (_sync)
            {
                return _lastEventTs;
            }
        }
    }

    /// <summary>Records not yet acknowledged by the broker.</summary>
    public int Backlog
    {
        get
        {
            lock (_sync)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Data records dropped by a bound or corruption since the journal was created.</summary>
    public long Dropped
    {
        get
        {
            lock (_sync)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Appends that could not be written to disk and are held in memory only.</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>Bytes the journal occupies (segment files, or payloads in memory).</summary>
    public long Bytes
    {
        get
        {
            lock (_sync)
            {
                return _totalBytes;
            }
        }
    }

    /// <summary>A message counts as backlog once it has waited this long: live data in its normal fsync-and-publish
    /// pipeline (a fraction of a second) is not a delay worth showing.</summary>
    public static readonly TimeSpan BacklogAfter = TimeSpan.FromSeconds(1);

    /// <summary>What the status reports: messages held for more than <see cref="BacklogAfter"/>, the event time of the
    /// oldest, the drop count and the journal kind.</summary>
    public DeliveryStatus Status()
    {
        lock (_sync)
        {
            var limit = _time.GetUtcNow() - BacklogAfter;
            long held = 0;
            DateTimeOffset? oldest = null;
            foreach (var e in _pending)
            {
                if (e.AppendedAt > limit)
                {
                    // Appended in time order (compaction and resends keep or take a later time): the rest is newer.
                    break;
                }

                held++;
                oldest ??= e.EventTs;
            }

            return new DeliveryStatus(held, oldest, _dropped, OnDisk ? "disk" : "memory");
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
            _liveFrom = _nextIndex;
            _firstLive = null;
        }
    }

    /// <summary>True when there are backlog records (older than the last reconnect) still to replay.</summary>
    public bool HasBacklog
    {
        get
        {
            lock (_sync)
            {
                return _pending.First is { } first && first.Value.Index < _liveFrom;
            }
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
            isReplay = false;
            if (replayAllowed)
            {
                for (var node = _pending.First; node is not null && node.Value.Index < _liveFrom; node = node.Next)
                {
                    if (!node.Value.InFlight)
                    {
                        if (node.Value.Index < _durableBelow)
                        {
                            isReplay = true;
                            node.Value.InFlight = true;
                            return node.Value;
                        }

                        break;
                    }
                }
            }

            // Skips the few records already on their way (the publish window); later ones are never fsynced earlier.
            for (var node = _firstLive; node is not null; node = node.Next)
            {
                if (!node.Value.InFlight)
                {
                    if (node.Value.Index < _durableBelow)
                    {
                        node.Value.InFlight = true;
                        return node.Value;
                    }

                    break;
                }
            }

            return null;
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
                Remove(entry);
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

            var found = new HashSet<long>(_pending.Where(e => e.IsData && e.Seq >= from && e.Seq <= to).Select(e => e.Seq));
            var again = new List<JournalEntry>();
            foreach (var segment in _segments.Where(g => g.Path is not null && g.MaxSeq >= from && g.MinSeq <= to && g.MinSeq > 0).ToList())
            {
                byte[] data;
                using (var f = new FileStream(segment.Path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    data = new byte[f.Length];
                    f.ReadExactly(data);
                }

                for (var pos = 0; pos < data.Length && TryDecode(data, pos, out var e, out var size); pos += size)
                {
                    if (e.IsData && e.Seq >= from && e.Seq <= to && found.Add(e.Seq))
                    {
                        again.Add(e);
                    }
                }
            }

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
    /// writes the state file at most once a second. Returns true when records became publishable.</summary>
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
            if (_stateDirty && now - _stateWrittenAt >= StateInterval)
            {
                TryWriteState();
            }

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
                if (OnDisk && !TryWriteState())
                {
                    Log.JournalWriteFailed(_logger, _bed, "the state file could not be written at shutdown (disk full); the next start reads the records instead");
                }
            }
            catch (IOException ex)
            {
                // By design: shutting down; the records are on disk already and a stale state only costs duplicates.
                Log.JournalWriteFailed(_logger, _bed, ex.Message);
            }

            foreach (var s in _segments)
            {
                s.Stream?.Dispose();
            }

            _disposed = true;
        }
    }

    private bool Ready(JournalEntry e) => !e.InFlight && e.Index < _durableBelow;

    private bool FlushLocked()
    {
        if (_unflushedBytes == 0 && _durableBelow == _nextIndex)
        {
            return false;
        }

        if (_current.Stream is { } stream)
        {
            try
            {
                stream.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                // By design: the records stay in memory and journaled as far as the disk allows; publishing goes on.
                Log.JournalWriteFailed(_logger, _bed, ex.Message);
            }
        }

        _unflushedBytes = 0;
        var became = _durableBelow < _nextIndex;
        _durableBelow = _nextIndex;
        return became;
    }

    private void AppendLocked(RecordKind kind, long seq, DateTimeOffset eventTs, DateTimeOffset appendedAt, ReadOnlyMemory<byte> payload)
    {
        if (_current.Bytes >= _settings.SegmentBytes)
        {
            Roll();
        }

        // The index is taken only once the record has its place: making room on a full disk may roll to a new
        // segment, which is named after the index of its first record.
        var entry = new JournalEntry
        {
            Index = _nextIndex,
            Kind = kind,
            Seq = seq,
            EventTs = eventTs,
            AppendedAt = appendedAt,
            Payload = payload,
            Segment = _current,
        };
        List<(List<JournalEntry> Carried, List<JournalEntry> Dropped)>? removed = null;
        if (_settings.Directory is not null)
        {
            removed = Write(entry);
        }

        _nextIndex++;
        var segment = entry.Segment!;
        var size = HeaderBytes + BodyFixedBytes + payload.Length;
        segment.Bytes += size;
        segment.Pending++;
        _totalBytes += size;
        _unflushedBytes += size;
        entry.Node = _pending.AddLast(entry);
        if (_firstLive is null && entry.Index >= _liveFrom)
        {
            _firstLive = entry.Node;
        }

        if (entry.IsData)
        {
            segment.MinSeq = segment.MinSeq == 0 ? seq : Math.Min(segment.MinSeq, seq);
            segment.MaxSeq = Math.Max(segment.MaxSeq, seq);
            _lastSeq = Math.Max(_lastSeq, seq);
            _lastEventTs = _lastEventTs is { } last && last > eventTs ? last : eventTs;
        }

        _stateDirty = true;
        if (!OnDisk)
        {
            _durableBelow = _nextIndex;
            _unflushedBytes = 0;
        }
        else if (_unflushedBytes >= _settings.FlushBytes)
        {
            FlushLocked();
        }

        // What making room removed is carried forward and reported only now, after this record: those appends may
        // need room themselves, and the journal's order (index) must stay the order of the pending list.
        if (removed is not null)
        {
            foreach (var (carried, dropped) in removed)
            {
                CarryAndReport(carried, dropped, GapReasons.DiskFull);
            }
        }
    }

    /// <summary>
    /// Writes the record to the current segment with one <c>write</c> (in the OS page cache at once, so it survives
    /// kill -9; fsync is batched). On a full disk the torn write is cut off and the oldest segment removed, until the
    /// record fits or nothing is left to remove; then it is held in memory only (counted, logged). Returns what was
    /// removed, to be carried forward and reported by the caller.
    /// </summary>
    private List<(List<JournalEntry> Carried, List<JournalEntry> Dropped)>? Write(JournalEntry entry)
    {
        List<(List<JournalEntry> Carried, List<JournalEntry> Dropped)>? removed = null;
        var record = Encode(entry);
        while (true)
        {
            var segment = _current;
            entry.Segment = segment;
            if (segment.Stream is not { } stream)
            {
                // The segment file could not even be created (see NewSegment).
                WriteFailed("no segment file");
                return removed;
            }

            try
            {
                stream.Write(record);
                segment.DiskBytes += record.Length;
                _writeFailing = false;
                return removed;
            }
            catch (IOException ex)
            {
                CutTornWrite(segment);
                if (DirectorySync.IsDiskFull(ex) && MakeRoom(removed ??= []))
                {
                    continue;
                }

                WriteFailed(ex.Message);
                return removed;
            }
        }
    }

    /// <summary>A partly written record would read as a torn tail at the next start (a false "lost" report): cut it off.</summary>
    private void CutTornWrite(JournalSegment segment)
    {
        try
        {
            if (segment.Stream is { } stream && stream.Length > segment.DiskBytes)
            {
                stream.SetLength(segment.DiskBytes);
            }
        }
        catch (IOException ex)
        {
            // By design: at worst the next start reports a torn tail as a gap; nothing is silent.
            Log.JournalWriteFailed(_logger, _bed, ex.Message);
        }
    }

    /// <summary>
    /// Disk full: removes this bed's oldest segment (rolling first when the current one is all there is). Delivered
    /// records go without loss; undelivered ones are dropped (the caller reports them as a <c>disk-full</c> gap).
    /// False when there is nothing left to remove.
    /// </summary>
    private bool MakeRoom(List<(List<JournalEntry> Carried, List<JournalEntry> Dropped)> removed)
    {
        if (_segments.Count == 1)
        {
            if (_current.DiskBytes == 0)
            {
                return false;
            }

            Roll();
        }

        var oldest = _segments.First!.Value;
        var bytes = oldest.DiskBytes;
        var (carried, dropped) = RemoveSegment(oldest, GapReasons.DiskFull);
        removed.Add((carried, dropped));
        Log.JournalDiskFull(_logger, _bed, bytes, dropped.Count);
        return true;
    }

    private void WriteFailed(string reason)
    {
        Interlocked.Increment(ref _writeFailures);
        if (!_writeFailing)
        {
            // Logged when writes start failing, not for every record (hundreds a second); the count is exact.
            _writeFailing = true;
            Log.JournalWriteFailed(_logger, _bed, reason);
        }
    }

    private void Remove(JournalEntry entry)
    {
        var node = entry.Node!;
        if (node == _firstLive)
        {
            _firstLive = node.Next;
        }

        _pending.Remove(node);
        entry.Node = null;
        _stateDirty = true;
        var segment = entry.Segment!;
        segment.Pending--;
        if (segment.Pending == 0 && segment != _current && segment.Path is null)
        {
            // On disk, delivered segments are kept (within the size bound) so the hub can ask for a resend.
            DeleteSegment(segment);
        }
    }

    private void Roll()
    {
        FlushLocked();
        _current.Stream?.Dispose();
        _current.Stream = null;
        var old = _current;
        _current = NewSegment(_nextIndex);
        if (old.Pending == 0 && old.Path is null)
        {
            DeleteSegment(old);
        }
    }

    private JournalSegment NewSegment(long firstIndex)
    {
        JournalSegment segment;
        if (_settings.Directory is { } dir)
        {
            var path = Path.Combine(dir, firstIndex.ToString("D20", CultureInfo.InvariantCulture) + ".seg");
            try
            {
                // No user-space buffer: each record goes to the kernel with one write (see the class comment).
                var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
                segment = new JournalSegment(firstIndex, path, stream);
                SyncDirectory();
            }
            catch (IOException ex)
            {
                // By design (e.g. no room for a directory entry): the segment is held in memory; its records are
                // still published, counted as write failures; the next roll tries the disk again.
                WriteFailed(ex.Message);
                segment = new JournalSegment(firstIndex, null, null);
            }
        }
        else
        {
            segment = new JournalSegment(firstIndex, null, null);
        }

        _segments.AddLast(segment);
        return segment;
    }

    private void DeleteSegment(JournalSegment segment)
    {
        // Out of the list first: making room for the state file below must not pick this segment again.
        _totalBytes -= segment.Bytes;
        _segments.Remove(segment);
        if (segment.Path is { } path)
        {
            segment.Stream?.Dispose();
            // The state (last sequence number) must cover this segment's numbers before the file goes, durably (the
            // rename of the state file, then the directory), or a power cut could make the bed reuse them.
            var covered = TryWriteState();
            if (covered)
            {
                SyncDirectory();
            }

            try
            {
                File.Delete(path);
            }
            catch (IOException ex)
            {
                Log.JournalWriteFailed(_logger, _bed, ex.Message);
            }

            if (!covered)
            {
                // The disk was too full for the state file: the deleted segment made room. (Until this write a crash
                // could only reuse numbers if this was the bed's newest data: making room removes the oldest first.)
                TryWriteState();
            }

            SyncDirectory();
        }
    }

    private void EnforceSize()
    {
        while (_totalBytes > _settings.MaxBytes && _segments.Count > 1)
        {
            DropSegment(_segments.First!.Value, GapReasons.JournalFull);
        }
    }

    private void DropSegment(JournalSegment segment, string reason)
    {
        var (carried, dropped) = RemoveSegment(segment, reason);
        CarryAndReport(carried, dropped, reason);
    }

    /// <summary>
    /// Removes a segment and its pending records: returns the gap reports it held (to be carried forward) and the
    /// undelivered data records (to be reported). Records in flight are marked and reported only if their publish fails.
    /// </summary>
    private (List<JournalEntry> Carried, List<JournalEntry> Dropped) RemoveSegment(JournalSegment segment, string reason)
    {
        var dropped = new List<JournalEntry>();
        var carried = new List<JournalEntry>();
        for (var node = _pending.First; node is not null && node.Value.Segment == segment;)
        {
            var next = node.Next;
            var e = node.Value;
            if (e.Kind == RecordKind.Gap)
            {
                carried.Add(e);
            }
            else if (e.InFlight)
            {
                e.EvictedFor = reason;
            }
            else
            {
                dropped.Add(e);
            }

            if (node == _firstLive)
            {
                _firstLive = next;
            }

            _pending.Remove(node);
            e.Node = null;
            node = next;
        }

        segment.Pending = 0;
        if (segment == _current)
        {
            Roll();
        }

        if (_segments.Contains(segment))
        {
            // (A memory segment left empty is already gone with the roll; a file may be gone to make room for the state.)
            DeleteSegment(segment);
        }

        return (carried, dropped);
    }

    private void CarryAndReport(List<JournalEntry> carried, List<JournalEntry> dropped, string reason)
    {
        var now = _time.GetUtcNow();
        foreach (var gap in carried)
        {
            AppendLocked(RecordKind.Gap, 0, gap.EventTs, now, gap.Payload);
        }

        ReportDropped(dropped, reason);
    }

    private void EvictAged(DateTimeOffset now)
    {
        var limit = now - _settings.MaxAge;
        List<JournalEntry>? aged = null;
        for (var node = _pending.First; node is not null && node.Value.AppendedAt < limit;)
        {
            var next = node.Next;
            var e = node.Value;
            if (e.IsData)
            {
                if (e.InFlight)
                {
                    e.EvictedFor = GapReasons.JournalAge;
                }
                else
                {
                    (aged ??= []).Add(e);
                }

                Remove(e);
            }

            node = next;
        }

        if (aged is not null)
        {
            ReportDropped(aged, GapReasons.JournalAge);
        }
    }

    /// <summary>Counts, logs and journals a gap report for dropped data records (sequence numbers ascending).</summary>
    private void ReportDropped(List<JournalEntry> dropped, string reason)
    {
        if (dropped.Count == 0)
        {
            return;
        }

        var first = dropped[0];
        var last = dropped[^1];
        _dropped += dropped.Count;
        Log.JournalDropped(_logger, _bed, dropped.Count, first.Seq, last.Seq, first.EventTs, last.EventTs, reason);
        AppendGap(new GapMessage
        {
            Bed = _bed,
            Ts = _deviceNow(),
            FromSeq = first.Seq,
            ToSeq = last.Seq,
            Count = dropped.Count,
            FromTs = first.EventTs,
            ToTs = last.EventTs,
            Reason = reason,
        });
    }

    private void AppendGap(GapMessage gap) =>
        AppendLocked(RecordKind.Gap, 0, gap.Ts, _time.GetUtcNow(), JsonSerializer.SerializeToUtf8Bytes(gap, SomnisJsonContext.Default.GapMessage));

    internal static byte[] Encode(JournalEntry e)
    {
        var record = new byte[HeaderBytes + BodyFixedBytes + e.Payload.Length];
        var body = record.AsSpan(HeaderBytes);
        body[0] = (byte)e.Kind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], e.Index);
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], e.Seq);
        BinaryPrimitives.WriteInt64LittleEndian(body[17..], e.EventTs.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(body[25..], e.AppendedAt.ToUnixTimeMilliseconds());
        e.Payload.Span.CopyTo(body[BodyFixedBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32.HashToUInt32(body));
        return record;
    }

    /// <summary>Reads one record at <paramref name="pos"/>; false when it is torn, corrupted or not a record at all.</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> data, int pos, out JournalEntry entry, out int size)
    {
        entry = null!;
        size = 0;
        if (data.Length - pos < HeaderBytes + BodyFixedBytes || BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]) != Magic)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[(pos + 4)..]);
        if (length < BodyFixedBytes || length > MaxBodyBytes || data.Length - pos - HeaderBytes < length)
        {
            return false;
        }

        var body = data.Slice(pos + HeaderBytes, length);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 8)..]) || body[0] is < 1 or > 3)
        {
            return false;
        }

        entry = new JournalEntry
        {
            Kind = (RecordKind)body[0],
            Index = BinaryPrimitives.ReadInt64LittleEndian(body[1..]),
            Seq = BinaryPrimitives.ReadInt64LittleEndian(body[9..]),
            EventTs = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(body[17..])),
            AppendedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(body[25..])),
            Payload = body[BodyFixedBytes..].ToArray(),
        };
        size = HeaderBytes + length;
        return true;
    }

    private void Recover()
    {
        if (_settings.Directory is not { } dir)
        {
            _current = NewSegment(_nextIndex);
            return;
        }

        Directory.CreateDirectory(dir);
        var state = ReadState(dir);
        _lastSeq = state.LastSeq;
        _lastEventTs = state.LastEventTs;
        _dropped = state.Dropped;
        var files = Directory.GetFiles(dir, "*.seg")
            .Select(f => (Path: f, First: long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))
            .Where(f => f.First >= 0)
            .OrderBy(f => f.First)
            .ToList();
        foreach (var empty in files.Where(f => new FileInfo(f.Path).Length == 0).ToList())
        {
            // Created just before a crash, never written: it holds nothing, and the new current segment may take its name.
            File.Delete(empty.Path);
            files.Remove(empty);
        }

        var survivors = new List<(JournalEntry Entry, int File)>();
        var segmentInfo = new List<(long Bytes, long MinSeq, long MaxSeq)>();
        var seen = new HashSet<long>();
        var maxIndex = state.NextIndex - 1;
        long prevSeq = 0;
        var corruptRegions = 0;
        long corruptBytes = 0;
        string? corruptFile = null;
        var anyCorruption = false;
        var lost = new List<(long From, long To, string File, int Regions, long Bytes)>();
        for (var fileNo = 0; fileNo < files.Count; fileNo++)
        {
            var path = files[fileNo].Path;
            var data = File.ReadAllBytes(path);
            long minSeq = 0, maxSeq = 0;
            var pos = 0;
            while (pos < data.Length)
            {
                if (TryDecode(data, pos, out var e, out var size))
                {
                    if (corruptRegions > 0 && e.IsData)
                    {
                        if (e.Seq > prevSeq + 1)
                        {
                            lost.Add((prevSeq + 1, e.Seq - 1, corruptFile!, corruptRegions, corruptBytes));
                        }
                        else
                        {
                            Log.JournalCorruptNoLoss(_logger, _bed, Path.GetFileName(corruptFile!), corruptRegions, corruptBytes);
                        }

                        corruptRegions = 0;
                        corruptBytes = 0;
                    }

                    maxIndex = Math.Max(maxIndex, e.Index);
                    if (e.IsData)
                    {
                        minSeq = minSeq == 0 ? e.Seq : Math.Min(minSeq, e.Seq);
                        maxSeq = Math.Max(maxSeq, e.Seq);
                        _lastSeq = Math.Max(_lastSeq, e.Seq);
                        _lastEventTs = _lastEventTs is { } l && l > e.EventTs ? l : e.EventTs;
                        prevSeq = Math.Max(prevSeq, e.Seq);
                    }

                    // Records below the acknowledged watermark were delivered; a record seen twice (a resend, or a
                    // crash during a start-up compaction) is kept once.
                    if (e.Index >= state.AckedBelow && (!e.IsData || seen.Add(e.Seq)))
                    {
                        survivors.Add((e, fileNo));
                    }

                    pos += size;
                    continue;
                }

                // Unreadable: skip to the next position where a whole, valid record starts.
                var start = pos;
                pos++;
                while (pos < data.Length && !TryDecode(data, pos, out _, out _))
                {
                    pos++;
                }

                corruptRegions++;
                corruptBytes += pos - start;
                corruptFile = path;
                anyCorruption = true;
            }

            segmentInfo.Add((data.Length, minSeq, maxSeq));
        }

        if (corruptRegions > 0)
        {
            // A torn or corrupted tail: what it held ran up to the last sequence number the state file saw, and at
            // least one record; the bed continues after that range so no number is reused.
            var to = Math.Max(_lastSeq, prevSeq + 1);
            lost.Add((prevSeq + 1, to, corruptFile!, corruptRegions, corruptBytes));
            _lastSeq = Math.Max(_lastSeq, to);
        }

        _nextIndex = maxIndex + 1;
        if (!anyCorruption)
        {
            // Intact: the files stay as they are (delivered records remain available for a resend); the undelivered
            // ones are pending again, and new records go to a fresh segment.
            var segments = new JournalSegment[files.Count];
            for (var i = 0; i < files.Count; i++)
            {
                segments[i] = new JournalSegment(files[i].First, files[i].Path, null)
                {
                    Bytes = segmentInfo[i].Bytes,
                    DiskBytes = segmentInfo[i].Bytes,
                    MinSeq = segmentInfo[i].MinSeq,
                    MaxSeq = segmentInfo[i].MaxSeq,
                };
                _segments.AddLast(segments[i]);
                _totalBytes += segmentInfo[i].Bytes;
            }

            foreach (var (e, fileNo) in survivors)
            {
                e.Segment = segments[fileNo];
                segments[fileNo].Pending++;
                e.Node = _pending.AddLast(e);
            }

            _current = NewSegment(_nextIndex);
            _durableBelow = _nextIndex;
            _liveFrom = _nextIndex;
            if (files.Count > 0)
            {
                Log.JournalRecovered(_logger, _bed, survivors.Count, _lastSeq);
            }

            TryWriteState();
            EnforceSize();
            return;
        }

        // Corrupted: the survivors are compacted into a fresh segment and fsynced before the old files go (a crash in
        // between only duplicates them, and duplicates are dropped above and at the hub), so a corruption is reported once.
        _current = NewSegment(_nextIndex);
        foreach (var (e, _) in survivors)
        {
            AppendLocked(e.Kind, e.Seq, e.EventTs, e.AppendedAt, e.Payload);
        }

        foreach (var (from, to, file, regions, bytes) in lost)
        {
            var count = to - from + 1;
            _dropped += count;
            Log.JournalCorrupt(_logger, _bed, Path.GetFileName(file), regions, bytes, count, from, to);
            AppendGap(new GapMessage { Bed = _bed, Ts = _deviceNow(), FromSeq = from, ToSeq = to, Count = count, Reason = GapReasons.JournalCorrupt });
        }

        FlushLocked();
        _durableBelow = _nextIndex;
        _liveFrom = _nextIndex;
        _firstLive = null;
        if (TryWriteState())
        {
            // Only once the state covers the lost range: else the next start reads (and reports) the old files again.
            foreach (var (path, _) in files)
            {
                File.Delete(path);
            }

            SyncDirectory();
        }

        Log.JournalRecovered(_logger, _bed, survivors.Count, _lastSeq);
        EnforceSize();
    }

    /// <summary>
    /// Writes the state file; on a full disk it makes room by removing the oldest delivered segment (nothing is lost:
    /// those records are only kept for resends) and tries again. False when it could not: a stale state only costs
    /// duplicates, and it stays due, so the next flush writes it.
    /// </summary>
    private bool TryWriteState()
    {
        while (true)
        {
            try
            {
                WriteState();
                return true;
            }
            catch (IOException ex)
            {
                _stateDirty = true;
                try
                {
                    // A partly written temporary file would hold room a full disk needs.
                    File.Delete(Path.Combine(_settings.Directory!, StateFile + ".tmp"));
                }
                catch (IOException)
                {
                }

                var full = DirectorySync.IsDiskFull(ex);
                if (full && _segments.FirstOrDefault(g => g != _current && g.Pending == 0 && g.Path is not null) is { } delivered)
                {
                    // Removed without a state write of its own (that is what needs the room); the write right after
                    // covers its numbers. Only a crash in between, if it held the bed's newest data, could cost a reuse.
                    _totalBytes -= delivered.Bytes;
                    _segments.Remove(delivered);
                    try
                    {
                        File.Delete(delivered.Path!);
                    }
                    catch (IOException)
                    {
                    }

                    SyncDirectory();
                    Log.JournalDiskFull(_logger, _bed, delivered.DiskBytes, 0);
                    continue;
                }

                if (!full)
                {
                    Log.JournalWriteFailed(_logger, _bed, ex.Message);
                }

                return false;
            }
        }
    }

    private void SyncDirectory()
    {
        if (_settings.Directory is { } dir && DirectorySync.Sync(dir) is { } error && !_syncFailureLogged)
        {
            _syncFailureLogged = true;
            Log.JournalDirectorySyncFailed(_logger, _bed, error);
        }
    }

    private void WriteState()
    {
        if (_settings.Directory is not { } dir)
        {
            return;
        }

        var below = _pending.First?.Value.Index ?? _nextIndex;
        var text = string.Join(' ', "v1", below, _nextIndex, _lastSeq, _lastEventTs?.ToUnixTimeMilliseconds() ?? 0, _dropped);
        var tmp = Path.Combine(dir, StateFile + ".tmp");
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(text));
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, Path.Combine(dir, StateFile), overwrite: true);
        _stateDirty = false;
        _stateWrittenAt = _time.GetUtcNow();
    }

    private static (long AckedBelow, long NextIndex, long LastSeq, DateTimeOffset? LastEventTs, long Dropped) ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        if (!File.Exists(path))
        {
            return (0, 1, 0, null, 0);
        }

        var parts = File.ReadAllText(path).Split(' ');
        if (parts.Length == 6 && parts[0] == "v1"
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var acked)
            && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var next)
            && long.TryParse(parts[3], CultureInfo.InvariantCulture, out var seq)
            && long.TryParse(parts[4], CultureInfo.InvariantCulture, out var ts)
            && long.TryParse(parts[5], CultureInfo.InvariantCulture, out var dropped))
        {
            return (acked, next, seq, ts == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(ts), dropped);
        }

        // An unreadable state only costs duplicates (everything on disk is replayed); sequence numbers come from the records.
        return (0, 1, 0, null, 0);
    }
}

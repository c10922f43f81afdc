namespace Somnis.Edge.Publishing;

/// <summary>
/// The start-up read of a journal, as a pure step: the saved <see cref="JournalState"/> and the bytes of each segment
/// in, the records to deliver again and what was torn or skipped out. Nothing is written or logged here; the
/// <see cref="Journal"/> acts on the <see cref="RecoveryResult"/>. Segments are fed one at a time, oldest first, so only
/// one segment's bytes are held at once.
/// <para>
/// A record with a bad checksum, or bytes that are not a record, are skipped up to the next position where a whole,
/// valid record starts (a region). The data sequence numbers missing around a region are lost; a region with no number
/// missing around it cost nothing. A torn or corrupted tail held at least one record, up to the last sequence number
/// the state saw; the sequence continues after it so no number is reused. Records below the state's acknowledged
/// watermark were delivered; a data record seen twice (a resend, or a crash during an earlier compaction) counts once.
/// </para>
/// </summary>
internal sealed class JournalRecovery(JournalState state)
{
    private readonly List<(JournalEntry Entry, int Segment)> _survivors = [];
    private readonly List<RecoveredSegment> _segments = [];
    private readonly List<LostRange> _lost = [];
    private readonly List<SkippedRegion> _skipped = [];
    private readonly HashSet<long> _seen = [];
    private long _maxIndex = state.NextIndex - 1;
    private long _lastSeq = state.LastSeq;
    private DateTimeOffset? _lastEventTs = state.LastEventTs;
    private long _prevSeq;
    private int _regions;
    private long _regionBytes;
    private string? _regionSegment;
    private bool _corrupted;

    /// <summary>Reads the next segment (oldest first); <paramref name="name"/> names it in the reports.</summary>
    public void Read(string name, ReadOnlySpan<byte> data)
    {
        long minSeq = 0, maxSeq = 0;
        var pos = 0;
        while (pos < data.Length)
        {
            if (JournalCodec.TryDecode(data, pos, out var e, out var size))
            {
                if (_regions > 0 && e.IsData)
                {
                    EndRegion(e.Seq);
                }

                _maxIndex = Math.Max(_maxIndex, e.Index);
                if (e.IsData)
                {
                    minSeq = minSeq == 0 ? e.Seq : Math.Min(minSeq, e.Seq);
                    maxSeq = Math.Max(maxSeq, e.Seq);
                    _lastSeq = Math.Max(_lastSeq, e.Seq);
                    _lastEventTs = _lastEventTs is { } l && l > e.EventTs ? l : e.EventTs;
                    _prevSeq = Math.Max(_prevSeq, e.Seq);
                }

                if (e.Index >= state.AckedBelow && (!e.IsData || _seen.Add(e.Seq)))
                {
                    _survivors.Add((e, _segments.Count));
                }

                pos += size;
                continue;
            }

            var start = pos;
            pos++;
            while (pos < data.Length && !JournalCodec.TryDecode(data, pos, out _, out _))
            {
                pos++;
            }

            _regions++;
            _regionBytes += pos - start;
            _regionSegment = name;
            _corrupted = true;
        }

        _segments.Add(new RecoveredSegment(data.Length, minSeq, maxSeq));
    }

    /// <summary>What the segments read so far hold.</summary>
    public RecoveryResult Finish()
    {
        var lastSeq = _lastSeq;
        var lost = new List<LostRange>(_lost);
        if (_regions > 0)
        {
            // A torn or corrupted tail: what it held ran up to the last sequence number the state file saw, and at
            // least one record; the bed continues after that range so no number is reused.
            var to = Math.Max(lastSeq, _prevSeq + 1);
            lost.Add(new LostRange(_prevSeq + 1, to, _regionSegment!, _regions, _regionBytes));
            lastSeq = Math.Max(lastSeq, to);
        }

        return new RecoveryResult(_survivors, _segments, lost, _skipped, _corrupted, _maxIndex + 1, lastSeq, _lastEventTs, state.Dropped);
    }

    /// <summary>A valid data record after a region: the numbers between the last one before it and this one were lost.</summary>
    private void EndRegion(long seq)
    {
        if (seq > _prevSeq + 1)
        {
            _lost.Add(new LostRange(_prevSeq + 1, seq - 1, _regionSegment!, _regions, _regionBytes));
        }
        else
        {
            _skipped.Add(new SkippedRegion(_regionSegment!, _regions, _regionBytes));
        }

        _regions = 0;
        _regionBytes = 0;
    }
}

/// <summary>What a recovered segment holds: its size and its data sequence range (0 when none).</summary>
internal sealed record RecoveredSegment(long Bytes, long MinSeq, long MaxSeq);

/// <summary>Data sequence numbers [<see cref="FromSeq"/>, <see cref="ToSeq"/>] lost to corrupted regions (the last in <see cref="Segment"/>).</summary>
internal sealed record LostRange(long FromSeq, long ToSeq, string Segment, int Regions, long Bytes)
{
    public long Count => ToSeq - FromSeq + 1;
}

/// <summary>Corrupted regions skipped with no data sequence number missing around them.</summary>
internal sealed record SkippedRegion(string Segment, int Regions, long Bytes);

/// <summary>
/// The outcome of a <see cref="JournalRecovery"/>: the records to deliver again with the index of the segment they are
/// in, each segment's counts (in the order read), the lost ranges and the harmless regions, whether anything was
/// corrupted (then the journal compacts the survivors), and where the journal continues.
/// </summary>
internal sealed record RecoveryResult(
    IReadOnlyList<(JournalEntry Entry, int Segment)> Survivors,
    IReadOnlyList<RecoveredSegment> Segments,
    IReadOnlyList<LostRange> Lost,
    IReadOnlyList<SkippedRegion> Skipped,
    bool Corrupted,
    long NextIndex,
    long LastSeq,
    DateTimeOffset? LastEventTs,
    long Dropped);

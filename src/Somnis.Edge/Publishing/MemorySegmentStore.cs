namespace Somnis.Edge.Publishing;

/// <summary>
/// A journal without <c>--journal</c>: segments are bookkeeping only (the records live in the queue), a record is
/// ready to publish at once, delivered records are freed at once, and nothing survives a restart.
/// </summary>
internal sealed class MemorySegmentStore : ISegmentStore
{
    private readonly LinkedList<JournalSegment> _segments = new();
    private long _bytes;

    public string Kind => "memory";

    public bool NeedsFlush => false;

    public IReadOnlyCollection<JournalSegment> Segments => _segments;

    public JournalSegment Oldest => _segments.First!.Value;

    public JournalSegment Current => _segments.Last!.Value;

    public long Bytes => _bytes;

    public long WriteFailures => 0;

    public (JournalState State, IReadOnlyList<JournalSegment> Segments) Load() => (JournalState.Empty, []);

    public byte[] ReadAll(JournalSegment segment) => throw new InvalidOperationException("a memory journal has nothing to read back");

    public void Adopt(JournalSegment segment) => throw new InvalidOperationException("a memory journal loads nothing");

    public void DeleteLoaded(IReadOnlyList<JournalSegment> segments)
    {
    }

    public JournalSegment? Roll(long firstIndex)
    {
        var previous = _segments.Last?.Value;
        _segments.AddLast(new JournalSegment(firstIndex, file: null));
        return previous;
    }

    public void Write(JournalEntry entry, Action removeOldest)
    {
        var size = JournalCodec.SizeOf(entry.Payload.Length);
        entry.Segment = Current;
        Current.Add(entry, size);
        _bytes += size;
    }

    public void Flush()
    {
    }

    public void Delete(JournalSegment segment)
    {
        _bytes -= segment.Bytes;
        _segments.Remove(segment);
    }

    public IEnumerable<JournalEntry> ReadDelivered(long from, long to) => [];

    public void StateChanged()
    {
    }

    public void SaveStateIfDue(DateTimeOffset now)
    {
    }

    public bool SaveState() => true;

    public void Dispose()
    {
    }
}

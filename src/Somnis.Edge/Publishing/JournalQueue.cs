namespace Somnis.Edge.Publishing;

/// <summary>
/// The journal's records not yet acknowledged, oldest (lowest index) first, and which may go out next. Records
/// appended before the last (re)connect are the backlog, replayed oldest first when the replay budget allows; those
/// appended since are live and never wait behind the replay. Only records below <see cref="DurableBelow"/>
/// (fsynced) are handed out. Called only under the journal's lock.
/// </summary>
internal sealed class JournalQueue
{
    private readonly LinkedList<JournalEntry> _pending = new();
    private LinkedListNode<JournalEntry>? _firstLive;
    private long _liveFrom = 1;

    public int Count => _pending.Count;

    public JournalEntry? Oldest => _pending.First?.Value;

    /// <summary>Records with a lower index are durable and may be published.</summary>
    public long DurableBelow { get; set; } = 1;

    /// <summary>True when there are backlog records (older than the last reconnect) still to deliver.</summary>
    public bool HasBacklog => _pending.First is { } first && first.Value.Index < _liveFrom;

    public void Add(JournalEntry entry)
    {
        entry.Node = _pending.AddLast(entry);
        if (_firstLive is null && entry.Index >= _liveFrom)
        {
            _firstLive = entry.Node;
        }
    }

    public void Remove(JournalEntry entry)
    {
        var node = entry.Node!;
        if (node == _firstLive)
        {
            _firstLive = node.Next;
        }

        _pending.Remove(node);
        entry.Node = null;
    }

    /// <summary>Everything pending now is backlog; records from <paramref name="nextIndex"/> on are live.</summary>
    public void MarkReconnected(long nextIndex)
    {
        _liveFrom = nextIndex;
        _firstLive = null;
    }

    /// <summary>
    /// The next record to publish, marked in flight: the oldest backlog record not yet in flight when
    /// <paramref name="replayAllowed"/>, else the oldest such live record. Null when nothing durable is waiting.
    /// </summary>
    public JournalEntry? Next(bool replayAllowed, out bool isReplay)
    {
        isReplay = false;
        if (replayAllowed)
        {
            for (var node = _pending.First; node is not null && node.Value.Index < _liveFrom; node = node.Next)
            {
                if (!node.Value.InFlight)
                {
                    if (node.Value.Index < DurableBelow)
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
                if (node.Value.Index < DurableBelow)
                {
                    node.Value.InFlight = true;
                    return node.Value;
                }

                break;
            }
        }

        return null;
    }

    /// <summary>How many records were appended before <paramref name="limit"/>, and the event time of the oldest.</summary>
    public (long Count, DateTimeOffset? OldestEventTs) AppendedBefore(DateTimeOffset limit)
    {
        long count = 0;
        DateTimeOffset? oldest = null;
        foreach (var e in _pending)
        {
            if (e.AppendedAt > limit)
            {
                // Appended in time order (compaction and resends keep or take a later time): the rest is newer.
                break;
            }

            count++;
            oldest ??= e.EventTs;
        }

        return (count, oldest);
    }

    /// <summary>Takes out the data records appended before <paramref name="limit"/>, oldest first (gap reports stay:
    /// they are never dropped). Null when there are none.</summary>
    public List<JournalEntry>? TakeDataAppendedBefore(DateTimeOffset limit)
    {
        List<JournalEntry>? taken = null;
        for (var node = _pending.First; node is not null && node.Value.AppendedAt < limit;)
        {
            var next = node.Next;
            if (node.Value.IsData)
            {
                (taken ??= []).Add(node.Value);
                Remove(node.Value);
            }

            node = next;
        }

        return taken;
    }

    /// <summary>Takes out the records of <paramref name="segment"/>, the oldest segment (so they lead the queue).</summary>
    public List<JournalEntry> TakeSegment(JournalSegment segment)
    {
        var taken = new List<JournalEntry>();
        while (_pending.First is { } node && node.Value.Segment == segment)
        {
            taken.Add(node.Value);
            Remove(node.Value);
        }

        return taken;
    }

    /// <summary>Sequence numbers of the pending data records in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public HashSet<long> DataSequences(long from, long to) =>
        [.. _pending.Where(e => e.IsData && e.Seq >= from && e.Seq <= to).Select(e => e.Seq)];
}

namespace Somnis.Edge.Publishing;

/// <summary>
/// Where a journal's segments live: files under <c>--journal DIR</c> (<see cref="FileSegmentStore"/>) or memory only
/// (<see cref="MemorySegmentStore"/>). The <see cref="Journal"/> (queue, bounds, gap reports) is the same on both;
/// the store decides what survives a restart, when a record is durable, and what a full disk costs. Its segments are
/// the unit a bound drops. Called only under the journal's lock.
/// </summary>
internal interface ISegmentStore : IDisposable
{
    /// <summary><c>disk</c> or <c>memory</c>, as the status reports it.</summary>
    string Kind { get; }

    /// <summary>True when a record must be flushed (<see cref="Flush"/>) before it is published; false when it is
    /// ready at once (in memory there is nothing to wait for).</summary>
    bool NeedsFlush { get; }

    /// <summary>The segments, oldest first; the newest is <see cref="Current"/>.</summary>
    IReadOnlyCollection<JournalSegment> Segments { get; }

    JournalSegment Oldest { get; }

    /// <summary>The segment records are appended to.</summary>
    JournalSegment Current { get; }

    /// <summary>Bytes of all <see cref="Segments"/>.</summary>
    long Bytes { get; }

    /// <summary>Appends that could not be written to disk and are held in memory only.</summary>
    long WriteFailures { get; }

    /// <summary>What an earlier run left: its state and its segments, oldest first (not yet in <see cref="Segments"/>).</summary>
    (JournalState State, IReadOnlyList<JournalSegment> Segments) Load();

    /// <summary>The bytes of a segment <see cref="Load"/> found or a kept one.</summary>
    byte[] ReadAll(JournalSegment segment);

    /// <summary>Takes a segment <see cref="Load"/> found (its counts filled in) as it is.</summary>
    void Adopt(JournalSegment segment);

    /// <summary>Removes the segments <see cref="Load"/> found, once their records were compacted into new ones.</summary>
    void DeleteLoaded(IReadOnlyList<JournalSegment> segments);

    /// <summary>Starts a new current segment whose first record will have <paramref name="firstIndex"/>; returns the
    /// previous one (null at the first call).</summary>
    JournalSegment? Roll(long firstIndex);

    /// <summary>
    /// Writes the record to the current segment and counts it there (<see cref="JournalEntry.Segment"/> says which).
    /// When the disk is full it calls <paramref name="removeOldest"/> (which removes the oldest segment, rolling first
    /// if there is only one) and tries again while there is anything of its own left to remove; then the record is
    /// held in memory only (counted in <see cref="WriteFailures"/>).
    /// </summary>
    void Write(JournalEntry entry, Action removeOldest);

    /// <summary>Makes what was written durable (fsync).</summary>
    void Flush();

    /// <summary>Removes a segment (never the current one) and its bytes.</summary>
    void Delete(JournalSegment segment);

    /// <summary>Data records with a sequence number in [<paramref name="from"/>, <paramref name="to"/>] still held in
    /// segments kept after delivery (<see cref="JournalSegment.KeptWhenDelivered"/>), for a resend.</summary>
    IEnumerable<JournalEntry> ReadDelivered(long from, long to);

    /// <summary>The journal's state changed (a record came or left): the state is due to be saved.</summary>
    void StateChanged();

    /// <summary>Saves the state if it changed and was last saved long enough ago (the state is batched, not per record).</summary>
    void SaveStateIfDue(DateTimeOffset now);

    /// <summary>Saves the state now; false when it could not (it stays due).</summary>
    bool SaveState();
}

/// <summary>One segment: a file of records (or, in memory, its equivalent), named after its first record's index.</summary>
internal sealed class JournalSegment(long firstIndex, string? file)
{
    public long FirstIndex { get; } = firstIndex;

    /// <summary>Its file; null when its records are held in memory only (memory store, or a file that could not be created).</summary>
    public string? File { get; } = file;

    /// <summary>A segment with a file stays after its records were delivered (within the size bound), so the hub can
    /// ask for a resend; one in memory goes as soon as nothing in it is pending.</summary>
    public bool KeptWhenDelivered => File is not null;

    /// <summary>Bytes of its records (those that could not be written to its file included).</summary>
    public long Bytes { get; set; }

    /// <summary>Bytes actually in the file.</summary>
    public long DiskBytes { get; set; }

    /// <summary>Its records not yet acknowledged.</summary>
    public int Pending { get; set; }

    /// <summary>Lowest and highest data sequence number written to the segment (0 when none).</summary>
    public long MinSeq { get; set; }

    public long MaxSeq { get; set; }

    /// <summary>Counts a record of <paramref name="size"/> bytes appended to it (pending until acknowledged).</summary>
    public void Add(JournalEntry entry, int size)
    {
        Bytes += size;
        Pending++;
        if (entry.IsData)
        {
            MinSeq = MinSeq == 0 ? entry.Seq : Math.Min(MinSeq, entry.Seq);
            MaxSeq = Math.Max(MaxSeq, entry.Seq);
        }
    }
}

using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Somnis.Edge.Publishing;

/// <summary>
/// A journal on disk (<c>--journal DIR</c>, per bed <c>DIR/{facility}/{bed}/</c>): append-only segment files
/// <c>{first index:D20}.seg</c> of <see cref="JournalCodec"/> records, plus the <c>state</c> file
/// (<see cref="JournalState"/>, written to a temporary file, fsynced and renamed, at most once a second).
/// <para>
/// Each record goes to the kernel with one <c>write</c> (no user-space buffer), so it survives <c>kill -9</c>;
/// <c>fsync</c> is the journal's batching point (<see cref="Flush"/>). Names are made durable too: the directory is
/// fsynced after a segment file is created or deleted (<see cref="DirectorySync"/>), so it costs a few fsyncs per
/// segment. Before a segment file is deleted the state (last sequence number) is saved, so a power cut can never make
/// the bed reuse the numbers it held.
/// </para>
/// <para>
/// Disk full (ENOSPC, or the quota): the torn write is cut off and the journal removes its oldest segment (delivered
/// segments kept for resends are the oldest, so usually nothing is lost), segment by segment until the record fits.
/// Only when there is nothing of its own left to remove (another program filled the disk) is a record held in memory
/// alone, counted in <see cref="WriteFailures"/> and logged when that starts. A state file that does not fit makes
/// room by removing the oldest delivered segment (nothing is lost). The edge never stops for a full disk.
/// </para>
/// </summary>
internal sealed class FileSegmentStore(string directory, string bed, TimeProvider time, Func<JournalState> state, ILogger logger) : ISegmentStore
{
    private const string StateFile = "state";
    private static readonly TimeSpan StateInterval = TimeSpan.FromSeconds(1);

    private readonly LinkedList<JournalSegment> _segments = new();

    /// <summary>The current segment's file; null when it could not be created.</summary>
    private FileStream? _stream;
    private long _bytes;
    private long _writeFailures;
    private bool _writeFailing;
    private bool _syncFailureLogged;
    private bool _stateDirty;
    private DateTimeOffset _stateWrittenAt;

    public string Kind => "disk";

    public bool NeedsFlush => true;

    public IReadOnlyCollection<JournalSegment> Segments => _segments;

    public JournalSegment Oldest => _segments.First!.Value;

    public JournalSegment Current => _segments.Last!.Value;

    public long Bytes => _bytes;

    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <exception cref="IOException">The directory cannot be created or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not accessible.</exception>
    public (JournalState State, IReadOnlyList<JournalSegment> Segments) Load()
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, StateFile);
        var saved = File.Exists(path) ? JournalState.Parse(File.ReadAllText(path)) : JournalState.Empty;
        var found = new List<JournalSegment>();
        foreach (var file in Directory.GetFiles(directory, "*.seg"))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                if (new FileInfo(file).Length == 0)
                {
                    // Created just before a crash, never written: it holds nothing, and a new segment may take its name.
                    File.Delete(file);
                    continue;
                }

                found.Add(new JournalSegment(first, file));
            }
        }

        found.Sort((a, b) => a.FirstIndex.CompareTo(b.FirstIndex));
        return (saved, found);
    }

    public byte[] ReadAll(JournalSegment segment)
    {
        using var f = new FileStream(segment.File!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var data = new byte[f.Length];
        f.ReadExactly(data);
        return data;
    }

    public void Adopt(JournalSegment segment)
    {
        _segments.AddLast(segment);
        _bytes += segment.Bytes;
    }

    public void DeleteLoaded(IReadOnlyList<JournalSegment> segments)
    {
        foreach (var segment in segments)
        {
            File.Delete(segment.File!);
        }

        SyncDirectory();
    }

    public JournalSegment? Roll(long firstIndex)
    {
        var previous = _segments.Last?.Value;
        _stream?.Dispose();
        _stream = null;
        var path = Path.Combine(directory, firstIndex.ToString("D20", CultureInfo.InvariantCulture) + ".seg");
        JournalSegment segment;
        try
        {
            // No user-space buffer: each record goes to the kernel with one write (see the class comment).
            _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            segment = new JournalSegment(firstIndex, path);
            SyncDirectory();
        }
        catch (IOException ex)
        {
            // By design (e.g. no room for a directory entry): the segment is held in memory; its records are still
            // published, counted as write failures; the next roll tries the disk again.
            WriteFailed(ex.Message);
            segment = new JournalSegment(firstIndex, file: null);
        }

        _segments.AddLast(segment);
        return previous;
    }

    public void Write(JournalEntry entry, Action removeOldest)
    {
        var record = JournalCodec.Encode(entry);
        while (true)
        {
            var segment = Current;
            entry.Segment = segment;
            if (_stream is not { } stream)
            {
                // The segment file could not even be created (see Roll).
                WriteFailed("no segment file");
                break;
            }

            try
            {
                stream.Write(record);
                segment.DiskBytes += record.Length;
                _writeFailing = false;
                break;
            }
            catch (IOException ex)
            {
                CutTornWrite(stream, segment);
                if (DirectorySync.IsDiskFull(ex) && (_segments.Count > 1 || segment.DiskBytes > 0))
                {
                    removeOldest();
                    continue;
                }

                WriteFailed(ex.Message);
                break;
            }
        }

        entry.Segment.Add(entry, record.Length);
        _bytes += record.Length;
    }

    public void Flush()
    {
        try
        {
            _stream?.Flush(flushToDisk: true);
        }
        catch (IOException ex)
        {
            // By design: the records stay in memory and journaled as far as the disk allows; publishing goes on.
            Log.JournalWriteFailed(logger, bed, ex.Message);
        }
    }

    public void Delete(JournalSegment segment)
    {
        // Out of the list first: making room for the state file below must not pick this segment again.
        _bytes -= segment.Bytes;
        _segments.Remove(segment);
        if (segment.File is not { } path)
        {
            return;
        }

        // The state (last sequence number) must cover this segment's numbers before the file goes, durably (the
        // rename of the state file, then the directory), or a power cut could make the bed reuse them.
        var covered = SaveState();
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
            Log.JournalWriteFailed(logger, bed, ex.Message);
        }

        if (!covered)
        {
            // The disk was too full for the state file: the deleted segment made room. (Until this write a crash
            // could only reuse numbers if this was the bed's newest data: making room removes the oldest first.)
            SaveState();
        }

        SyncDirectory();
    }

    public IEnumerable<JournalEntry> ReadDelivered(long from, long to)
    {
        foreach (var segment in _segments.Where(g => g.KeptWhenDelivered && g.MaxSeq >= from && g.MinSeq <= to && g.MinSeq > 0).ToList())
        {
            var data = ReadAll(segment);
            for (var pos = 0; pos < data.Length && JournalCodec.TryDecode(data, pos, out var e, out var size); pos += size)
            {
                if (e.IsData && e.Seq >= from && e.Seq <= to)
                {
                    yield return e;
                }
            }
        }
    }

    public void StateChanged() => _stateDirty = true;

    public void SaveStateIfDue(DateTimeOffset now)
    {
        if (_stateDirty && now - _stateWrittenAt >= StateInterval)
        {
            SaveState();
        }
    }

    /// <summary>
    /// Writes the state file; on a full disk it makes room by removing the oldest delivered segment (nothing is lost:
    /// those records are only kept for resends) and tries again. False when it could not: a stale state only costs
    /// duplicates, and it stays due, so the next flush writes it.
    /// </summary>
    public bool SaveState()
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
                    File.Delete(Path.Combine(directory, StateFile + ".tmp"));
                }
                catch (IOException)
                {
                }

                var full = DirectorySync.IsDiskFull(ex);
                if (full && _segments.FirstOrDefault(g => g != Current && g.Pending == 0 && g.KeptWhenDelivered) is { } delivered)
                {
                    // Removed without a state write of its own (that is what needs the room); the write right after
                    // covers its numbers. Only a crash in between, if it held the bed's newest data, could cost a reuse.
                    _bytes -= delivered.Bytes;
                    _segments.Remove(delivered);
                    try
                    {
                        File.Delete(delivered.File!);
                    }
                    catch (IOException)
                    {
                    }

                    SyncDirectory();
                    Log.JournalDiskFull(logger, bed, delivered.DiskBytes, 0);
                    continue;
                }

                if (!full)
                {
                    Log.JournalWriteFailed(logger, bed, ex.Message);
                }

                return false;
            }
        }
    }

    public void Dispose() => _stream?.Dispose();

    private void WriteState()
    {
        var tmp = Path.Combine(directory, StateFile + ".tmp");
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(state().Format()));
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, Path.Combine(directory, StateFile), overwrite: true);
        _stateDirty = false;
        _stateWrittenAt = time.GetUtcNow();
    }

    /// <summary>A partly written record would read as a torn tail at the next start (a false "lost" report): cut it off.</summary>
    private void CutTornWrite(FileStream stream, JournalSegment segment)
    {
        try
        {
            if (stream.Length > segment.DiskBytes)
            {
                stream.SetLength(segment.DiskBytes);
            }
        }
        catch (IOException ex)
        {
            // By design: at worst the next start reports a torn tail as a gap; nothing is silent.
            Log.JournalWriteFailed(logger, bed, ex.Message);
        }
    }

    private void WriteFailed(string reason)
    {
        Interlocked.Increment(ref _writeFailures);
        if (!_writeFailing)
        {
            // Logged when writes start failing, not for every record (hundreds a second); the count is exact.
            _writeFailing = true;
            Log.JournalWriteFailed(logger, bed, reason);
        }
    }

    private void SyncDirectory()
    {
        if (DirectorySync.Sync(directory) is { } error && !_syncFailureLogged)
        {
            _syncFailureLogged = true;
            Log.JournalDirectorySyncFailed(logger, bed, error);
        }
    }
}

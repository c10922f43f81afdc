using System.Globalization;
using System.Text;

namespace Somnis.Hub.TimeSeries;

/// <summary>One file of the disk buffer: a batch of line-protocol lines, oldest first by <see cref="Id"/>.</summary>
internal sealed record SpoolSegment(string Path, long Id, DateTimeOffset Created, int Points, long Bytes);

/// <summary>
/// The sink's durable buffer: every batch is a file in <c>DATA/influx-spool</c> (written to a temporary name, flushed
/// to disk, then renamed, so a crash never leaves half a batch) and is deleted only after the database accepted it.
/// Survives hub restarts: files found at start-up are sent first. Bounded by bytes; a batch that does not fit is refused.
/// Batches the database refused as invalid are moved to <c>rejected/</c> (newest <see cref="KeepRejected"/> kept) for
/// inspection. Used by one thread (the sink's loop); the counters are safe to read from others.
/// </summary>
internal sealed class InfluxSpool
{
    public const int KeepRejected = 20;
    private readonly string _directory;
    private readonly string _rejected;
    private readonly long _limit;
    private readonly Queue<SpoolSegment> _segments = new();
    private long _nextId;
    private long _bytes;
    private long _points;
    private long _oldestCreatedMs;

    public InfluxSpool(string directory, long limitBytes)
    {
        _directory = directory;
        _rejected = System.IO.Path.Combine(directory, "rejected");
        _limit = limitBytes;
        Directory.CreateDirectory(directory);
        foreach (var tmp in Directory.EnumerateFiles(directory, "*.tmp"))
        {
            // A batch interrupted while being written was never acknowledged to anyone: its points are still counted
            // as pending nowhere, so removing it loses nothing that was reported as buffered.
            File.Delete(tmp);
        }

        foreach (var segment in Directory.EnumerateFiles(directory, "*.lp").Select(Parse).OfType<SpoolSegment>().OrderBy(s => s.Id))
        {
            Enqueue(segment);
        }

        _nextId = _segments.Count == 0 ? 1 : _segments.Max(s => s.Id) + 1;
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Points => Interlocked.Read(ref _points);

    public long LimitBytes => _limit;

    public int Count => _segments.Count;

    /// <summary>When the oldest unsent batch was recorded, or null when the buffer is empty.</summary>
    public DateTimeOffset? OldestCreated => Interlocked.Read(ref _oldestCreatedMs) is var ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public SpoolSegment? Oldest => _segments.TryPeek(out var s) ? s : null;

    /// <summary>Stores a batch durably.</summary>
    /// <param name="created">When its oldest point was recorded (for the lag).</param>
    /// <returns>False when it would exceed the byte limit (nothing written).</returns>
    public bool TryAppend(IReadOnlyList<string> lines, DateTimeOffset created)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (Bytes + bytes.Length > _limit)
        {
            return false;
        }

        var id = _nextId++;
        var name = string.Create(CultureInfo.InvariantCulture, $"{id:D12}-{created.ToUnixTimeMilliseconds()}-{lines.Count}.lp");
        var path = System.IO.Path.Combine(_directory, name);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }

        File.Move(tmp, path);
        Enqueue(new SpoolSegment(path, id, created, lines.Count, bytes.Length));
        return true;
    }

    public static string[] Read(SpoolSegment segment) =>
        File.ReadAllLines(segment.Path).Where(l => l.Length > 0).ToArray();

    /// <summary>The database has the oldest batch: forget it.</summary>
    public void Remove(SpoolSegment segment)
    {
        File.Delete(segment.Path);
        Dequeue(segment);
    }

    /// <summary>The database refused the oldest batch as invalid: keep it aside for inspection, never resend it.</summary>
    public void Reject(SpoolSegment segment)
    {
        Directory.CreateDirectory(_rejected);
        File.Move(segment.Path, System.IO.Path.Combine(_rejected, System.IO.Path.GetFileName(segment.Path)), overwrite: true);
        Dequeue(segment);
        foreach (var old in Directory.EnumerateFiles(_rejected, "*.lp").OrderDescending(StringComparer.Ordinal).Skip(KeepRejected))
        {
            File.Delete(old);
        }
    }

    private void Enqueue(SpoolSegment s)
    {
        _segments.Enqueue(s);
        Interlocked.Add(ref _bytes, s.Bytes);
        Interlocked.Add(ref _points, s.Points);
        UpdateOldest();
    }

    private void Dequeue(SpoolSegment s)
    {
        if (!_segments.TryPeek(out var head) || head.Id != s.Id)
        {
            throw new InvalidOperationException("only the oldest batch can leave the buffer");
        }

        _segments.Dequeue();
        Interlocked.Add(ref _bytes, -s.Bytes);
        Interlocked.Add(ref _points, -s.Points);
        UpdateOldest();
    }

    private void UpdateOldest() =>
        Interlocked.Exchange(ref _oldestCreatedMs, _segments.TryPeek(out var s) ? Math.Max(1, s.Created.ToUnixTimeMilliseconds()) : 0);

    private static SpoolSegment? Parse(string path)
    {
        var parts = System.IO.Path.GetFileNameWithoutExtension(path).Split('-');
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var created)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var points)
            ? new SpoolSegment(path, id, DateTimeOffset.FromUnixTimeMilliseconds(created), points, new FileInfo(path).Length)
            : null;
    }
}

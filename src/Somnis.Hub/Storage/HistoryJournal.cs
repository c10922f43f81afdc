using System.Buffers.Binary;
using System.Text;

namespace Somnis.Hub.Storage;

/// <summary>
/// The vitals history's write-ahead journal (<c>DATA/history-journal/</c>): rows accepted since the last checkpoint,
/// appended and fsynced before their MQTT messages are acknowledged, so the history may lag the broker's
/// acknowledgements by a whole batch without a hub crash losing any of it. Segments are deleted once everything in
/// them is committed to <c>somnis.db</c>; a start replays what is left (the store skips rows it already has).
/// Files: <c>NNNNNNNNNN.seg</c>, a 4-byte magic, then blocks (one per append): length (int32), FNV-1a checksum of
/// the payload (uint32), payload of records: <c>S</c> id, facility, bed (a series, before its first row in the
/// segment) and <c>R</c> series id + <see cref="VitalsRow.WriteTo"/>. Little-endian. A torn last block (a crash in
/// the middle of an append, never acknowledged) is ignored.
/// </summary>
internal sealed class HistoryJournal : IDisposable
{
    /// <summary>A segment is closed at this size; closed segments are deleted as soon as they are committed.</summary>
    internal const long SegmentBytes = 4 * 1024 * 1024;

    private static readonly byte[] Magic = "SHJ1"u8.ToArray();
    private const int BlockHeader = 8;
    private readonly string _directory;
    private readonly Lock _sync = new();
    private readonly Queue<(string Path, long Last)> _closed = new();
    private readonly HashSet<int> _defined = [];
    private FileStream? _current;
    private string? _currentPath;
    private long _currentLast;
    private long _next;
    private byte[] _buffer = new byte[64 * 1024];

    public HistoryJournal(string directory)
    {
        _directory = directory;
    }

    public string Directory => _directory;

    /// <summary>Segment files on disk (open and closed).</summary>
    public int Segments
    {
        get
        {
            lock (_sync)
            {
                return _closed.Count + (_current is null ? 0 : 1);
            }
        }
    }

    /// <summary>Appends rows and makes them durable (fsync) before returning.</summary>
    /// <param name="through">The writer's count of rows enqueued up to and including these.</param>
    public void Append(ReadOnlySpan<VitalsRow> rows, VitalsSeries series, long through)
    {
        lock (_sync)
        {
            if (_current is null)
            {
                System.IO.Directory.CreateDirectory(_directory);
                _currentPath = Path.Combine(_directory, $"{_next++:D10}.seg");
                _current = new FileStream(_currentPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
                _current.Write(Magic);
                _defined.Clear();
            }

            var length = BlockHeader;
            foreach (ref readonly var row in rows)
            {
                if (!_defined.Contains(row.Series))
                {
                    var entry = series[row.Series];
                    length = Ensure(length, 1 + 4 + 2 + entry.FacilityUtf8.Length + 2 + entry.BedUtf8.Length);
                    _buffer[length++] = (byte)'S';
                    BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(length), row.Series);
                    length += 4;
                    length = WriteName(length, entry.FacilityUtf8);
                    length = WriteName(length, entry.BedUtf8);
                    _defined.Add(row.Series);
                }

                length = Ensure(length, 1 + 4 + VitalsRow.EncodedLength);
                _buffer[length++] = (byte)'R';
                BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(length), row.Series);
                row.WriteTo(_buffer.AsSpan(length + 4));
                length += 4 + VitalsRow.EncodedLength;
            }

            BinaryPrimitives.WriteInt32LittleEndian(_buffer, length - BlockHeader);
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), Checksum(_buffer.AsSpan(BlockHeader, length - BlockHeader)));
            _current.Write(_buffer, 0, length);
            _current.Flush(flushToDisk: true);
            _currentLast = through;
            if (_current.Length >= SegmentBytes)
            {
                _current.Dispose();
                _current = null;
                _closed.Enqueue((_currentPath!, _currentLast));
            }
        }
    }

    /// <summary>Deletes the segments whose rows are all committed to the store.</summary>
    /// <param name="through">The writer's count of rows enqueued whose rows are all committed.</param>
    public void Committed(long through)
    {
        lock (_sync)
        {
            while (_closed.TryPeek(out var segment) && segment.Last <= through)
            {
                File.Delete(segment.Path);
                _closed.Dequeue();
            }

            if (_current is not null && _currentLast <= through)
            {
                _current.Dispose();
                _current = null;
                File.Delete(_currentPath!);
            }
        }
    }

    /// <summary>
    /// Writes what a previous run journaled but did not commit into the store, then deletes the segments. Call before
    /// anything is appended.
    /// </summary>
    /// <returns>Rows read from the journal (the store skips those it already has).</returns>
    public int Replay(SomnisStore store, int batchSize)
    {
        lock (_sync)
        {
            if (!System.IO.Directory.Exists(_directory))
            {
                return 0;
            }

            var files = System.IO.Directory.GetFiles(_directory, "*.seg").Order(StringComparer.Ordinal).ToArray();
            var total = 0;
            foreach (var file in files)
            {
                var series = new VitalsSeries();
                var ids = new Dictionary<int, int>();
                var rows = new List<VitalsRow>();
                var bytes = File.ReadAllBytes(file);
                var at = Magic.Length;
                if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                {
                    throw new InvalidDataException($"{file} is not a history journal segment");
                }

                while (at + BlockHeader <= bytes.Length)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
                    if (length < 0 || at + BlockHeader + length > bytes.Length
                        || Checksum(bytes.AsSpan(at + BlockHeader, length)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)))
                    {
                        // A torn last block: the crash came before its fsync returned, so none of it was acknowledged.
                        break;
                    }

                    ReadOnlySpan<byte> block = bytes.AsSpan(at + BlockHeader, length);
                    at += BlockHeader + length;
                    while (!block.IsEmpty)
                    {
                        var kind = block[0];
                        var id = BinaryPrimitives.ReadInt32LittleEndian(block[1..]);
                        block = block[5..];
                        if (kind == 'S')
                        {
                            var facility = ReadName(ref block);
                            var bed = ReadName(ref block);
                            ids[id] = series.IdOf(facility, bed);
                        }
                        else if (kind == 'R')
                        {
                            rows.Add(VitalsRow.ReadFrom(block, ids[id]));
                            block = block[VitalsRow.EncodedLength..];
                        }
                        else
                        {
                            throw new InvalidDataException($"{file}: unknown record '{(char)kind}'");
                        }
                    }
                }

                for (var i = 0; i < rows.Count; i += batchSize)
                {
                    store.AppendVitals(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows).Slice(i, Math.Min(batchSize, rows.Count - i)), series);
                }

                total += rows.Count;
                _next = Math.Max(_next, long.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture) + 1);
            }

            foreach (var file in files)
            {
                File.Delete(file);
            }

            return total;
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _current?.Dispose();
            _current = null;
        }
    }

    private int Ensure(int length, int more)
    {
        if (length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, length + more));
        }

        return length;
    }

    private int WriteName(int at, byte[] name)
    {
        // Facility and bed ids are short (validated topic levels); two bytes of length are plenty.
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(at), checked((ushort)name.Length));
        name.CopyTo(_buffer.AsSpan(at + 2));
        return at + 2 + name.Length;
    }

    private static string ReadName(ref ReadOnlySpan<byte> block)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(block);
        var name = Encoding.UTF8.GetString(block.Slice(2, length));
        block = block[(2 + length)..];
        return name;
    }

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        var hash = 2166136261u;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}

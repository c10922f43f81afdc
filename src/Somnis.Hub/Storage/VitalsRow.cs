using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Somnis.Contracts;

namespace Somnis.Hub.Storage;

/// <summary>
/// One accepted vitals message as the history queue holds it: its values only, no object references. At full load
/// the queue holds tens of thousands of messages for up to <see cref="StorageOptions.FlushInterval"/>; as parsed
/// messages they all outlived the young generation and were copied by every collection (docs/performance.md, "What was
/// changed", <c>VitalsRow</c>).
/// In a reused array of these, the collector has nothing to copy or trace.
/// </summary>
internal readonly struct VitalsRow
{
    private const byte HasHeartRate = 1, HasRespirationRate = 2, HasActivityCount = 4, HasSkinTemperature = 8, HasRoomTemperature = 16,
        HasBedPresence = 32, InBed = 64;

    private readonly double _heartRate;
    private readonly double _respirationRate;
    private readonly double _activityCount;
    private readonly double _skinTemperature;
    private readonly double _roomTemperature;
    private readonly byte _present;

    public VitalsRow(int series, VitalsMessage v)
    {
        Series = series;
        TsMs = v.Ts.ToUnixTimeMilliseconds();
        Seq = v.Seq;
        IntervalSeconds = v.IntervalSeconds;
        SignalQuality = v.SignalQuality;
        ArchitectStimulating = v.ArchitectStimulating;
        InterlockEngaged = v.InterlockEngaged;
        byte present = 0;
        Take(v.HeartRate, HasHeartRate, ref _heartRate, ref present);
        Take(v.RespirationRate, HasRespirationRate, ref _respirationRate, ref present);
        Take(v.ActivityCount, HasActivityCount, ref _activityCount, ref present);
        Take(v.SkinTemperature, HasSkinTemperature, ref _skinTemperature, ref present);
        Take(v.RoomTemperature, HasRoomTemperature, ref _roomTemperature, ref present);
        if (v.BedPresence is { } inBed)
        {
            present |= (byte)(HasBedPresence | (inBed ? InBed : 0));
        }

        _present = present;

        static void Take(double? value, byte flag, ref double field, ref byte present)
        {
            if (value is { } x)
            {
                field = x;
                present |= flag;
            }
        }
    }

    private VitalsRow(ReadOnlySpan<byte> b, int series)
    {
        Series = series;
        TsMs = BinaryPrimitives.ReadInt64LittleEndian(b);
        Seq = BinaryPrimitives.ReadInt64LittleEndian(b[8..]);
        IntervalSeconds = BinaryPrimitives.ReadDoubleLittleEndian(b[16..]);
        SignalQuality = BinaryPrimitives.ReadDoubleLittleEndian(b[24..]);
        _heartRate = BinaryPrimitives.ReadDoubleLittleEndian(b[32..]);
        _respirationRate = BinaryPrimitives.ReadDoubleLittleEndian(b[40..]);
        _activityCount = BinaryPrimitives.ReadDoubleLittleEndian(b[48..]);
        _skinTemperature = BinaryPrimitives.ReadDoubleLittleEndian(b[56..]);
        _roomTemperature = BinaryPrimitives.ReadDoubleLittleEndian(b[64..]);
        _present = b[72];
        ArchitectStimulating = (b[73] & 1) != 0;
        InterlockEngaged = (b[73] & 2) != 0;
    }

    /// <summary>Bytes of <see cref="WriteTo"/> (the series id is written beside it).</summary>
    public const int EncodedLength = 74;

    /// <summary>The values, little-endian, field by field (the history journal's row record).</summary>
    public void WriteTo(Span<byte> b)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b, TsMs);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], Seq);
        BinaryPrimitives.WriteDoubleLittleEndian(b[16..], IntervalSeconds);
        BinaryPrimitives.WriteDoubleLittleEndian(b[24..], SignalQuality);
        BinaryPrimitives.WriteDoubleLittleEndian(b[32..], _heartRate);
        BinaryPrimitives.WriteDoubleLittleEndian(b[40..], _respirationRate);
        BinaryPrimitives.WriteDoubleLittleEndian(b[48..], _activityCount);
        BinaryPrimitives.WriteDoubleLittleEndian(b[56..], _skinTemperature);
        BinaryPrimitives.WriteDoubleLittleEndian(b[64..], _roomTemperature);
        b[72] = _present;
        b[73] = (byte)((ArchitectStimulating ? 1 : 0) | (InterlockEngaged ? 2 : 0));
    }

    public static VitalsRow ReadFrom(ReadOnlySpan<byte> b, int series) => new(b, series);

    /// <summary>The (facility, bed) of the row, an id of <see cref="VitalsSeries"/>.</summary>
    public int Series { get; }

    /// <summary>Device time, Unix milliseconds (the store's key and column).</summary>
    public long TsMs { get; }

    public long Seq { get; }

    public double IntervalSeconds { get; }

    public double SignalQuality { get; }

    public bool ArchitectStimulating { get; }

    public bool InterlockEngaged { get; }

    public double? HeartRate => Get(_heartRate, HasHeartRate);

    public double? RespirationRate => Get(_respirationRate, HasRespirationRate);

    public double? ActivityCount => Get(_activityCount, HasActivityCount);

    public double? SkinTemperature => Get(_skinTemperature, HasSkinTemperature);

    public double? RoomTemperature => Get(_roomTemperature, HasRoomTemperature);

    public bool? BedPresence => (_present & HasBedPresence) == 0 ? null : (_present & InBed) != 0;

    private double? Get(double value, byte flag) => (_present & flag) != 0 ? value : null;
}

/// <summary>
/// The (facility, bed) pairs the history has seen, numbered for <see cref="VitalsRow.Series"/>, with their names
/// already in UTF-8 for the store (binding a string converts and allocates on every row). Grows by one entry per bed,
/// like the bed registry; safe for concurrent use.
/// </summary>
internal sealed class VitalsSeries
{
    private readonly ConcurrentDictionary<(string Facility, string Bed), int> _ids = new();
    private readonly Lock _adding = new();
    private Entry[] _entries = new Entry[64];
    private int _count;
    private int[] _ranks = [];

    public int Count => Volatile.Read(ref _count);

    public Entry this[int id] => Volatile.Read(ref _entries)[id];

    public int IdOf(string facility, string bed)
    {
        if (_ids.TryGetValue((facility, bed), out var id))
        {
            return id;
        }

        lock (_adding)
        {
            if (_ids.TryGetValue((facility, bed), out id))
            {
                return id;
            }

            id = _count;
            var entries = _entries;
            if (id == entries.Length)
            {
                Array.Resize(ref entries, entries.Length * 2);
            }

            entries[id] = new Entry(facility, bed, Encoding.UTF8.GetBytes(facility), Encoding.UTF8.GetBytes(bed));
            // The entry and the array are published before the count and the id, so a reader never sees an id
            // without its entry.
            Volatile.Write(ref _entries, entries);
            Volatile.Write(ref _count, id + 1);
            _ids[(facility, bed)] = id;
            return id;
        }
    }

    /// <summary>Sorts rows in the store's key order: bed, then facility (ordinal), then time. For the single writer thread.</summary>
    public void SortByKey(Span<VitalsRow> rows) => rows.Sort(new KeyOrder(Ranks()));

    /// <summary>Each id's position in the store's key order (bed, then facility, ordinal), for sorting a batch.
    /// Recomputed only when series were added.</summary>
    private int[] Ranks()
    {
        var count = Count;
        if (_ranks.Length != count)
        {
            var entries = Volatile.Read(ref _entries);
            var order = Enumerable.Range(0, count).ToArray();
            Array.Sort(order, (a, b) =>
            {
                var c = string.CompareOrdinal(entries[a].Bed, entries[b].Bed);
                return c != 0 ? c : string.CompareOrdinal(entries[a].Facility, entries[b].Facility);
            });
            var ranks = new int[count];
            for (var rank = 0; rank < count; rank++)
            {
                ranks[order[rank]] = rank;
            }

            _ranks = ranks;
        }

        return _ranks;
    }

    public sealed record Entry(string Facility, string Bed, byte[] FacilityUtf8, byte[] BedUtf8);

    private readonly struct KeyOrder(int[] ranks) : IComparer<VitalsRow>
    {
        public int Compare(VitalsRow a, VitalsRow b)
        {
            var c = ranks[a.Series].CompareTo(ranks[b.Series]);
            return c != 0 ? c : a.TsMs.CompareTo(b.TsMs);
        }
    }
}

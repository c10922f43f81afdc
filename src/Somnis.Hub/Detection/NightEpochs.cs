using System.Collections;

namespace Somnis.Hub.Detection;

/// <summary>
/// One bed's scored epochs of tonight, as the live path keeps them: 16 bytes per epoch instead of a ~170-byte
/// <see cref="ScoredEpoch"/> object. At 1,000 beds a night is ~1 M epochs, and holding them as objects was most of
/// the hub's memory growth through a night. Only the newest epoch is also kept as an object (it is read on every
/// message); the others are rebuilt on access. The live assessments read the tail through <see cref="IEpochFacts"/>,
/// straight from the packed form, and allocate nothing. Keeping the newest 128 as objects was tried: they died old, an
/// hour later, and that garbage in the oldest GC generation grew the RSS through the night (docs/performance.md,
/// "What was changed", RSS growth). The model features are not kept: only offline analysis reads them.
/// </summary>
internal sealed class NightEpochs : IReadOnlyList<ScoredEpoch>, IEpochFacts
{
    // Fixed-size chunks (2 KiB each) rather than one growing array: memory rises by a chunk per hour of night, not by
    // doubling copies of the whole night (which showed as steps in the hub's RSS through the soak).
    private const int ChunkShift = 7;
    private const int ChunkSize = 1 << ChunkShift;
    private readonly List<Packed[]> _chunks = [];
    private ScoredEpoch? _newest;
    private DateTimeOffset _origin;
    private int _count;

    public int Count => _count;

    public ScoredEpoch this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return index == _count - 1 ? _newest! : Unpack(index);
        }
    }

    public EpochFacts Facts(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        var p = _chunks[index >> ChunkShift][index & (ChunkSize - 1)];
        return new EpochFacts(StartOf(index), p.State, float.IsNaN(p.HeartRate) ? null : p.HeartRate, (p.Flags & Flags.Stimulating) != 0, p.PSleep);
    }

    /// <summary>Appends the next epoch; epochs come from one scorer, in order, numbered from 0.</summary>
    public void Add(ScoredEpoch epoch)
    {
        if (epoch.Index != _count)
        {
            throw new ArgumentException($"Epoch {epoch.Index} added as number {_count}: epochs must be contiguous from 0.", nameof(epoch));
        }

        if (epoch.Index == 0)
        {
            _origin = epoch.Start;
        }

        var flags = (epoch.Presence is { } present ? Flags.PresenceKnown | (present ? Flags.Present : 0) : 0)
            | (epoch.Stimulating ? Flags.Stimulating : 0);
        if ((_count >> ChunkShift) == _chunks.Count)
        {
            _chunks.Add(new Packed[ChunkSize]);
        }

        _chunks[_count >> ChunkShift][_count & (ChunkSize - 1)] =
            new Packed((float)epoch.PSleep, (float)(epoch.ActivityCount ?? double.NaN), (float)(epoch.MeanHeartRate ?? double.NaN), (byte)epoch.State, flags);
        _newest = epoch;
        _count++;
    }

    public void AddRange(IEnumerable<ScoredEpoch> epochs)
    {
        foreach (var e in epochs)
        {
            Add(e);
        }
    }

    public void Clear()
    {
        _chunks.Clear();
        _newest = null;
        _count = 0;
    }

    public IEnumerator<ScoredEpoch> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ScoredEpoch Unpack(int index)
    {
        var p = _chunks[index >> ChunkShift][index & (ChunkSize - 1)];
        // Rebuilt, it equals the epoch that was added to float precision (features aside).
        return new ScoredEpoch(index, StartOf(index), index * EpochScorer.EpochSeconds, p.State, p.PSleep,
            float.IsNaN(p.Activity) ? null : p.Activity,
            float.IsNaN(p.HeartRate) ? null : p.HeartRate,
            (p.Flags & Flags.PresenceKnown) != 0 ? (p.Flags & Flags.Present) != 0 : null,
            (p.Flags & Flags.Stimulating) != 0,
            default);
    }

    // The same arithmetic as EpochScorer.Score, so a rebuilt start equals the one that was added.
    private DateTimeOffset StartOf(int index) => _origin.AddSeconds(index * EpochScorer.EpochSeconds);

    [Flags]
    private enum Flags : byte
    {
        PresenceKnown = 1,
        Present = 2,
        Stimulating = 4,
    }

    /// <summary>NaN stands for "none" (the scorer never produces NaN: its sums are finite). Single precision: seven
    /// significant digits of a probability, a count and a heart rate are more than the sensors give, and half the size
    /// halved what the hub's memory grows by through a night (docs/performance.md, "What was changed", packed epochs).</summary>
    private readonly record struct Packed(float PSleep, float Activity, float HeartRate, byte StateCode, Flags Flags)
    {
        public EpochState State => (EpochState)StateCode;
    }
}

namespace Somnis.Hub.Detection;

/// <summary>
/// What the live assessments read of one epoch: a value, so that reading the tail of a night on every finalized epoch
/// of every bed allocates nothing (it built <see cref="ScoredEpoch"/> copies on every message before;
/// docs/performance.md, "What was changed", <c>IEpochFacts</c>).
/// </summary>
/// <param name="Start">Start of the epoch, event time.</param>
/// <param name="State">Sleep, wake or out of bed.</param>
/// <param name="MeanHeartRate">Mean heart rate in the epoch, bpm; null when none.</param>
/// <param name="Stimulating">The Architect was stimulating at some time in the epoch.</param>
/// <param name="PSleep">Calibrated p(sleep) (0 out of bed or without signal).</param>
internal readonly record struct EpochFacts(DateTimeOffset Start, EpochState State, double? MeanHeartRate, bool Stimulating, double PSleep = 0)
{
    public bool IsSleep => State == EpochState.Sleep;

    public bool InBed => State is EpochState.Sleep or EpochState.Wake;

    public static EpochFacts Of(ScoredEpoch e) => new(e.Start, e.State, e.MeanHeartRate, e.Stimulating, e.PSleep);
}

/// <summary>A night's epochs in order, read as <see cref="EpochFacts"/>. The seam between the two ways a night is
/// held: the live tracker's packed <see cref="NightEpochs"/> and a plain list of <see cref="ScoredEpoch"/> (offline
/// analysis, tests).</summary>
internal interface IEpochFacts
{
    int Count { get; }

    EpochFacts Facts(int index);
}

/// <summary>A list of scored epochs as <see cref="IEpochFacts"/> (a struct: generic callers get no boxing).</summary>
internal readonly struct EpochListFacts(IReadOnlyList<ScoredEpoch> epochs) : IEpochFacts
{
    public int Count => epochs.Count;

    public EpochFacts Facts(int index) => EpochFacts.Of(epochs[index]);
}

namespace Somnis.Hub.Detection;

/// <summary>What a 30-s epoch was scored as.</summary>
internal enum EpochState
{
    Sleep,
    Wake,

    /// <summary>Bed presence said nobody was in the bed for most of the epoch.</summary>
    OutOfBed,

    /// <summary>No motion data for the epoch (sensor silent or failed): not scored, neither sleep nor wake.</summary>
    NoSignal,
}

/// <summary>
/// The inputs the sleep model sees for one epoch. Every activity feature is <c>ln(1 + counts)</c> so that a single
/// large movement does not dominate the fit; heart-rate features are relative to the sleeper's own night.
/// </summary>
/// <param name="ActLocal">ln(1 + Oakley-weighted counts over ±2 min): the Actiware wake score.</param>
/// <param name="ActMid">ln(1 + mean counts per epoch over ±10 min): mid-scale restlessness (Sadeh uses ±5 min).</param>
/// <param name="ActLong">ln(1 + mean counts per epoch over the past 20 min): has the sleeper settled.</param>
/// <param name="HrRel">Heart rate over ±1 min minus the sleeper's running resting HR (p10), divided by the running p90−p10 spread.</param>
/// <param name="HrVar">ln(1 + SD of epoch-mean heart rate over ±2.5 min): arousals and wake make HR jump.</param>
/// <param name="Clock">Time since lights-off, saturating at 1 after one hour; can only raise p(sleep), and only slightly.</param>
internal readonly record struct EpochFeatures(
    double ActLocal, double ActMid, double ActLong, double HrRel, double HrVar, double Clock)
{
    /// <summary>Number of features, the length of <see cref="ToArray"/>.</summary>
    public const int Count = 6;

    /// <summary>The features in the order of <see cref="SleepModel"/>'s weights.</summary>
    public double[] ToArray() => [ActLocal, ActMid, ActLong, HrRel, HrVar, Clock];
}

/// <summary>One finalized (or provisional) 30-s epoch.</summary>
/// <param name="Index">Epoch number from the scorer's origin (epoch 0 starts at the origin).</param>
/// <param name="Start">Start of the epoch, event time.</param>
/// <param name="StartSeconds">Start of the epoch in seconds from the origin.</param>
/// <param name="State">Sleep, wake or out of bed.</param>
/// <param name="PSleep">Calibrated model probability of sleep, 0–1 (0 when out of bed or without signal).</param>
/// <param name="ActivityCount">Activity counts summed over the epoch (Actiwatch-compatible units); null when no motion data.</param>
/// <param name="MeanHeartRate">Mean of the heart-rate samples in the epoch, bpm; null when none.</param>
/// <param name="Presence">Bed presence for the epoch; null when unknown.</param>
/// <param name="Stimulating">The Architect was stimulating at some time in the epoch.</param>
/// <param name="Features">The model inputs.</param>
internal sealed record ScoredEpoch(
    int Index,
    DateTimeOffset Start,
    double StartSeconds,
    EpochState State,
    double PSleep,
    double? ActivityCount,
    double? MeanHeartRate,
    bool? Presence,
    bool Stimulating,
    EpochFeatures Features)
{
    /// <summary>Length of every epoch.</summary>
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(EpochScorer.EpochSeconds);

    public bool IsSleep => State == EpochState.Sleep;

    /// <summary>In bed and scored (sleep or wake); out-of-bed and no-signal epochs are neither.</summary>
    public bool InBed => State is EpochState.Sleep or EpochState.Wake;
}

/// <summary>What the scorer has learned about the sleeper so far tonight.</summary>
/// <param name="RestingHeartRate">10th percentile of epoch-mean heart rate so far, bpm; null before any HR.</param>
/// <param name="MedianHeartRate">Median of epoch-mean heart rate so far, bpm; null before any HR.</param>
/// <param name="UsualActivity">Median activity count per epoch so far.</param>
internal sealed record SleeperBaseline(double? RestingHeartRate, double? MedianHeartRate, double UsualActivity);

/// <summary>
/// What is known about the sleeper from earlier nights, handed to the scorer of a new night (the per-sleeper store that
/// keeps it across nights is not built yet: until then every night starts from its own data). It replaces the first
/// hour's guesswork, when tonight's HR percentiles rest on little data (and that mostly awake).
/// </summary>
/// <param name="RestingHeartRate">The sleeper's usual 10th percentile of epoch-mean HR over a night, bpm.</param>
/// <param name="HeartRateSpread">Their usual 90th − 10th percentile of epoch-mean HR over a night, bpm.</param>
/// <param name="UsualActivity">Their usual activity counts per sleeping epoch (kept for the store; not used by the model yet).</param>
internal sealed record SleeperPrior(double RestingHeartRate, double HeartRateSpread, double UsualActivity = 0);

namespace Somnis.Hub.Detection;

// Assessments are pure functions of scored epochs (and, for the facility, arousal onsets): no clock, no state,
// event time only. Each returns its evidence record when it fires and null / empty when it does not; wiring the
// results to alarms belongs to the alarm feature. Rules, defaults and references: docs/detection.md.

/// <summary>Defaults for <see cref="ArchitectDeprivation"/>.</summary>
/// <param name="Window">Sliding window ending at the newest epoch.</param>
/// <param name="MinStimulatedShare">Share of the window's in-bed epochs that must be stimulated for the Architect to be implicated.</param>
/// <param name="MaxSleepEfficiency">Sleep efficiency over the stimulated epochs below which sleep is being prevented.</param>
/// <param name="MinAwakenings">Alternatively, this many separate awakenings during stimulation (repeatedly woken).</param>
/// <param name="MinHrRise">Mean HR during stimulation must exceed the sleeping baseline by this fraction.</param>
/// <param name="MaxExpectedEfficiency">And the expected sleep efficiency over the stimulated epochs (mean calibrated
/// p(sleep)) must be below this: a margin under <paramref name="MaxSleepEfficiency"/> for the estimate's own error, so a
/// window the sleeper half slept through is not called "kept awake".</param>
internal sealed record ArchitectDeprivationOptions(
    TimeSpan Window,
    double MinStimulatedShare = 0.5,
    double MaxSleepEfficiency = 0.5,
    int MinAwakenings = 3,
    double MinHrRise = 0.10,
    double MaxExpectedEfficiency = 0.4)
{
    public static ArchitectDeprivationOptions Default { get; } = new(TimeSpan.FromMinutes(30));
}

/// <summary>Why <c>architect-deprivation</c> fired. <paramref name="SleepEfficiencyStimulated"/> counts the epochs scored
/// sleep; <paramref name="ExpectedEfficiencyStimulated"/> is the mean calibrated p(sleep) over the same epochs.</summary>
internal sealed record ArchitectDeprivationEvidence(
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    double StimulatedMin,
    double SleepEfficiencyStimulated,
    int AwakeningsStimulated,
    double MeanHrStimulated,
    double BaselineHr,
    double HrRise,
    double ExpectedEfficiencyStimulated = 0);

/// <summary>
/// <c>architect-deprivation</c>: over the last <see cref="ArchitectDeprivationOptions.Window"/>, the sleeper was
/// stimulated most of the time, and during the stimulated epochs was mostly awake (or repeatedly woken) with a heart
/// rate above their own sleeping baseline. Only stimulated epochs are examined, so the same wakefulness without
/// stimulation is never attributed to the Architect (that is <see cref="SustainedArousal"/>'s or
/// <see cref="AcuteSleepLoss"/>'s business).
/// </summary>
internal static class ArchitectDeprivation
{
    public const string Code = "architect-deprivation";

    /// <summary>Epochs of wake after sleep that make an awakening (<see cref="NightMetrics.MinAwakening"/>).</summary>
    public static readonly int AwakeningEpochs = (int)Math.Ceiling(NightMetrics.MinAwakening.TotalSeconds / EpochScorer.EpochSeconds);

    /// <param name="epochs">The night's finalized epochs so far, in order.</param>
    /// <param name="baselineHr">The sleeper's sleeping HR, bpm: <see cref="SleepingBaseline"/>, else the scorer's
    /// <see cref="SleeperBaseline.RestingHeartRate"/>. Null (unknown) never fires: there is nothing to compare to.</param>
    public static ArchitectDeprivationEvidence? Assess(IReadOnlyList<ScoredEpoch> epochs, double? baselineHr,
        ArchitectDeprivationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return Assess(new EpochListFacts(epochs), baselineHr, options);
    }

    /// <summary>As the other overload, on any form of the night (the live tracker's packed one: nothing allocated).</summary>
    public static ArchitectDeprivationEvidence? Assess<TEpochs>(TEpochs epochs, double? baselineHr,
        ArchitectDeprivationOptions? options = null)
        where TEpochs : IEpochFacts
    {
        var o = options ?? ArchitectDeprivationOptions.Default;
        if (epochs.Count == 0 || baselineHr is not { } baseline || baseline <= 0)
        {
            return null;
        }

        var end = epochs.Facts(epochs.Count - 1).Start + ScoredEpoch.Length;
        var start = end - o.Window;
        // Epochs are in time order: only the tail inside the window is read (this runs on every finalized epoch of
        // every bed, so it must not cost the whole night).
        var first = epochs.Count;
        while (first > 0 && epochs.Facts(first - 1).Start >= start)
        {
            first--;
        }

        int stimulated = 0, stimulatedAsleep = 0, awakenings = 0, hrCount = 0;
        double hrSum = 0, expectedAsleep = 0;
        var previousAsleep = false;
        var wakeRun = 0;
        var runAfterSleep = false;
        for (var i = first; i < epochs.Count; i++)
        {
            var e = epochs.Facts(i);
            if (!e.InBed)
            {
                continue;
            }

            // An awakening during stimulation: a wake run after sleep that reaches MinAwakening (1 min, as NightMetrics
            // counts them) in a stimulated epoch. A single 30-s wake epoch is within the scorer's noise: a restless
            // sleeper's movements in real sleep made three of those in 20 min on a real night (9961348).
            runAfterSleep = wakeRun == 0 ? previousAsleep : runAfterSleep;
            wakeRun = e.IsSleep ? 0 : wakeRun + 1;
            awakenings += e.Stimulating && runAfterSleep && wakeRun == AwakeningEpochs ? 1 : 0;

            if (e.Stimulating)
            {
                stimulated++;
                stimulatedAsleep += e.IsSleep ? 1 : 0;
                expectedAsleep += e.PSleep;
                if (e.MeanHeartRate is { } hr)
                {
                    hrSum += hr;
                    hrCount++;
                }
            }

            previousAsleep = e.IsSleep;
        }

        var windowEpochs = o.Window.TotalSeconds / EpochScorer.EpochSeconds;
        if (stimulated == 0 || stimulated < o.MinStimulatedShare * windowEpochs || hrCount == 0)
        {
            return null;
        }

        var efficiency = (double)stimulatedAsleep / stimulated;
        var expected = expectedAsleep / stimulated;
        var meanHr = hrSum / hrCount;
        var rise = (meanHr - baseline) / baseline;
        // Mostly awake by the decisions and by the calibrated p(sleep) too. The decision threshold (≈ 0.75) is set to find
        // wake, so it calls uncertain epochs wake; a restless sleeper's movements in real sleep then read as "kept awake"
        // (a real night, 9961348, under overlaid stimulation: decisions 30 % asleep, PSG 100 %). The expected efficiency,
        // Σ p / n, is the unbiased amount of sleep. Repeatedly woken stays a route of its own.
        var keptAwake = (efficiency < o.MaxSleepEfficiency && expected < o.MaxExpectedEfficiency) || awakenings >= o.MinAwakenings;
        return keptAwake && rise >= o.MinHrRise
            ? new ArchitectDeprivationEvidence(start, end, stimulated * EpochScorer.EpochSeconds / 60, efficiency,
                awakenings, meanHr, baseline, rise, expected)
            : null;
    }

    /// <summary>The sleeper's own sleeping HR: mean over sleep epochs without stimulation; null when none yet.</summary>
    public static double? SleepingBaseline(IReadOnlyList<ScoredEpoch> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        double sum = 0;
        var count = 0;
        foreach (var e in epochs)
        {
            if (Counts(e))
            {
                sum += e.MeanHeartRate!.Value;
                count++;
            }
        }

        return count > 0 ? sum / count : null;
    }

    /// <summary>Whether an epoch counts towards <see cref="SleepingBaseline"/> (for trackers that keep it as a running mean).</summary>
    public static bool Counts(ScoredEpoch e) => e.IsSleep && !e.Stimulating && e.MeanHeartRate is not null;
}

/// <summary>Defaults for <see cref="AcuteSleepLoss"/>.</summary>
/// <param name="PlannedTimeInBed">Planned night from lights-off; bounds what can still be slept (no default:
/// a zero would make every night "projected short" at once).</param>
/// <param name="NeedHours">Sleep need per night (AASM/SRS: 7 h).</param>
/// <param name="MaxDebtHours">Accumulated debt (<see cref="SleepDebt"/>) above which the sleeper is in acute loss.</param>
/// <param name="ShortProbability">At the end of the night: flagged short when P(TST &lt; need) is at least this
/// (0.5: the estimate says short more likely than not).</param>
/// <param name="ProjectedProbability">During the night: flagged when even the best case is below the need with at
/// least this probability (a live alarm claims only what is nearly certain).</param>
internal sealed record AcuteSleepLossOptions(
    TimeSpan PlannedTimeInBed,
    double NeedHours = NightMetrics.DefaultNeedHours,
    double MaxDebtHours = 5,
    double ShortProbability = 0.5,
    double ProjectedProbability = 0.95)
{
    public static AcuteSleepLossOptions Default { get; } = new(TimeSpan.FromHours(8));
}

/// <summary>
/// Tonight's sleep so far as <c>acute-sleep-loss</c> judges it: the expected TST (Σ calibrated p(sleep)), the in-bed
/// time without signal (unknown: it may all have been sleep), and the uncertainty of the estimate.
/// </summary>
/// <param name="ExpectedSleepMin">Σ p(sleep) over scored in-bed epochs, minutes.</param>
/// <param name="NoSignalMin">In-bed minutes without motion data.</param>
/// <param name="ElapsedMin">Minutes since lights-off covered by epochs.</param>
/// <param name="SdMin">SD of the expected TST around the truth, minutes (<see cref="SleepModel.TstSdMin"/> for a
/// whole night, in proportion for part of one).</param>
internal readonly record struct TstEstimate(double ExpectedSleepMin, double NoSignalMin, double ElapsedMin, double SdMin)
{
    /// <summary>The estimate over <paramref name="epochs"/> with <paramref name="wholeNightSdMin"/> for a full night of need.</summary>
    public static TstEstimate Of(IReadOnlyList<ScoredEpoch> epochs, double wholeNightSdMin, double needHours)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var minutes = EpochScorer.EpochSeconds / 60;
        var expected = epochs.Where(e => e.InBed).Sum(e => e.PSleep) * minutes;
        var noSignal = epochs.Count(e => e.State == EpochState.NoSignal) * minutes;
        return Scaled(expected, noSignal, epochs.Count * minutes, wholeNightSdMin, needHours);
    }

    /// <summary>The SD grows with the time scored (a per-sleeper bias builds up through the night), up to the whole night's.</summary>
    public static TstEstimate Scaled(double expectedMin, double noSignalMin, double elapsedMin, double wholeNightSdMin, double needHours) =>
        new(expectedMin, noSignalMin, elapsedMin,
            Math.Max(1, wholeNightSdMin * Math.Min(1, (elapsedMin - noSignalMin) / (needHours * 60))));
}

/// <summary>Why <c>acute-sleep-loss</c> fired. <paramref name="Reason"/>: <c>short-night</c> (final TST under the need
/// more likely than not), <c>projected-short</c> (even sleeping all the remaining planned time almost surely cannot reach
/// the need) or <c>debt</c>. TST figures are the estimate (Σ p(sleep)) with its SD; <paramref name="ProbabilityShort"/>
/// is P(TST &lt; need), counting no-signal time as sleep.</summary>
internal sealed record AcuteSleepLossEvidence(
    string Reason,
    double TotalSleepMin,
    double ElapsedMin,
    double RemainingMin,
    double BestCaseTstMin,
    double NeedMin,
    double DebtHours,
    double SdMin = 0,
    double NoSignalMin = 0,
    double ProbabilityShort = 0);

/// <summary><c>acute-sleep-loss</c>: tonight's sleep cannot (or did not) reach the need, or the debt is above a bound.
/// Judged on the night's TST estimate with its uncertainty, so a night is called short when the evidence says so.</summary>
internal static class AcuteSleepLoss
{
    public const string Code = "acute-sleep-loss";

    /// <param name="epochs">Tonight's epochs from lights-off.</param>
    /// <param name="nightFinished">The night is over: judge the final TST rather than the best case.</param>
    /// <param name="debtHoursBeforeTonight">Debt carried in from previous nights (<see cref="SleepDebt.Hours"/>).</param>
    /// <param name="wholeNightSdMin">Uncertainty of a whole night's TST estimate (<see cref="SleepModel.TstSdMin"/>).</param>
    public static AcuteSleepLossEvidence? Assess(IReadOnlyList<ScoredEpoch> epochs, bool nightFinished,
        double debtHoursBeforeTonight = 0, AcuteSleepLossOptions? options = null, double wholeNightSdMin = SleepModel.DefaultTstSdMin)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var o = options ?? AcuteSleepLossOptions.Default;
        return Assess(TstEstimate.Of(epochs, wholeNightSdMin, o.NeedHours), nightFinished, debtHoursBeforeTonight, o);
    }

    /// <summary>As the other overload, from running sums kept as the night goes (the live path: no re-count per epoch).</summary>
    public static AcuteSleepLossEvidence? Assess(TstEstimate tonight, bool nightFinished,
        double debtHoursBeforeTonight = 0, AcuteSleepLossOptions? options = null)
    {
        var o = options ?? AcuteSleepLossOptions.Default;
        var remaining = nightFinished ? 0 : Math.Max(0, o.PlannedTimeInBed.TotalMinutes - tonight.ElapsedMin);
        // Unknown time counts as sleep: a night is not called short for want of data.
        var bestCase = tonight.ExpectedSleepMin + tonight.NoSignalMin + remaining;
        var need = o.NeedHours * 60;
        var probabilityShort = NormalCdf((need - bestCase) / tonight.SdMin);
        // Debt if tonight ends at its best case (its upper bound): what is already certain.
        var upper = bestCase + (1.645 * tonight.SdMin);
        var debt = Math.Max(0, debtHoursBeforeTonight + ((need - upper) / 60));
        string? reason = nightFinished
            ? (probabilityShort >= o.ShortProbability ? "short-night" : null)
            : (probabilityShort >= o.ProjectedProbability ? "projected-short" : null);
        reason ??= debt > o.MaxDebtHours ? "debt" : null;
        return reason is null ? null : new AcuteSleepLossEvidence(reason, tonight.ExpectedSleepMin, tonight.ElapsedMin, remaining,
            bestCase, need, debt, tonight.SdMin, tonight.NoSignalMin, probabilityShort);
    }

    /// <summary>Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| &lt; 1.5e-7).</summary>
    internal static double NormalCdf(double z)
    {
        var x = Math.Abs(z) / Math.Sqrt(2);
        var t = 1 / (1 + (0.3275911 * x));
        var poly = ((((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t) - 0.284496736) * t) + 0.254829592) * t;
        var erf = 1 - (poly * Math.Exp(-x * x));
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}

/// <summary>Defaults for <see cref="SustainedArousal"/>.</summary>
/// <param name="MinRiseBpm">HR must exceed the sleeping baseline by at least this many bpm…</param>
/// <param name="MinRiseFraction">…and by at least this fraction of it (arousals raise HR 10–30 bpm).</param>
/// <param name="MinDuration">For at least this long, in bed, without a break.</param>
internal sealed record SustainedArousalOptions(double MinRiseBpm, double MinRiseFraction, TimeSpan MinDuration)
{
    public static SustainedArousalOptions Default { get; } = new(15, 0.25, TimeSpan.FromMinutes(3));
}

/// <summary>One episode of <c>sustained-arousal</c>.</summary>
internal sealed record ArousalEpisode(DateTimeOffset Start, DateTimeOffset End, double MeanHr, double PeakHr, double BaselineHr)
{
    public TimeSpan Duration => End - Start;
}

/// <summary><c>sustained-arousal</c>: HR far above the sleeping baseline for minutes while in bed, and awake.</summary>
internal static class SustainedArousal
{
    public const string Code = "sustained-arousal";

    /// <summary>At least half the episode scored wake: a heart-rate surge in what the scorer calls sleep (REM does
    /// this) is not an arousal. On a real night (9961348) HR rose 15 bpm for 3 min while PSG scored N2 throughout.</summary>
    private static bool IsWake(int awakeEpochs, int epochs) => awakeEpochs * 2 >= epochs;

    /// <summary>Every episode in <paramref name="epochs"/>; an epoch without HR or out of bed ends an episode.</summary>
    public static IReadOnlyList<ArousalEpisode> Find(IReadOnlyList<ScoredEpoch> epochs, double? baselineHr,
        SustainedArousalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var o = options ?? SustainedArousalOptions.Default;
        var found = new List<ArousalEpisode>();
        if (baselineHr is not { } baseline)
        {
            return found;
        }

        var limit = baseline + Math.Max(o.MinRiseBpm, o.MinRiseFraction * baseline);
        var run = new List<ScoredEpoch>();
        foreach (var e in epochs.Append(null))
        {
            if (e is { InBed: true, MeanHeartRate: { } hr } && hr >= limit)
            {
                run.Add(e);
                continue;
            }

            if (run.Count * ScoredEpoch.Length >= o.MinDuration && IsWake(run.Count(r => !r.IsSleep), run.Count))
            {
                var hrs = run.Select(r => r.MeanHeartRate!.Value).ToList();
                found.Add(new ArousalEpisode(run[0].Start, run[^1].Start + ScoredEpoch.Length, hrs.Average(), hrs.Max(), baseline));
            }

            run.Clear();
        }

        return found;
    }

    /// <summary>
    /// The episode still going on at the newest epoch (the last of <see cref="Find"/> when it reaches the end), found by
    /// reading back from the end only: live detection asks this on every finalized epoch.
    /// </summary>
    public static ArousalEpisode? Ongoing(IReadOnlyList<ScoredEpoch> epochs, double? baselineHr, SustainedArousalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return Ongoing(new EpochListFacts(epochs), baselineHr, options);
    }

    /// <summary>As the other overload, on any form of the night (the live tracker's packed one: nothing allocated).</summary>
    public static ArousalEpisode? Ongoing<TEpochs>(TEpochs epochs, double? baselineHr, SustainedArousalOptions? options = null)
        where TEpochs : IEpochFacts
    {
        var o = options ?? SustainedArousalOptions.Default;
        if (baselineHr is not { } baseline || epochs.Count == 0)
        {
            return null;
        }

        var limit = baseline + Math.Max(o.MinRiseBpm, o.MinRiseFraction * baseline);
        var first = epochs.Count;
        while (first > 0 && epochs.Facts(first - 1) is { InBed: true, MeanHeartRate: { } hr } && hr >= limit)
        {
            first--;
        }

        var length = epochs.Count - first;
        if (length == 0 || length * ScoredEpoch.Length < o.MinDuration)
        {
            return null;
        }

        double sum = 0, peak = double.MinValue;
        var awake = 0;
        for (var i = first; i < epochs.Count; i++)
        {
            var facts = epochs.Facts(i);
            var hr = facts.MeanHeartRate!.Value;
            sum += hr;
            peak = Math.Max(peak, hr);
            awake += facts.IsSleep ? 0 : 1;
        }

        if (!IsWake(awake, length))
        {
            return null;
        }

        return new ArousalEpisode(epochs.Facts(first).Start, epochs.Facts(epochs.Count - 1).Start + ScoredEpoch.Length, sum / length, peak, baseline);
    }
}

/// <summary>Defaults for <see cref="FacilityIncidentDetector"/>.</summary>
/// <param name="Window">Onsets this close together count as simultaneous.</param>
/// <param name="MinBeds">At least this many distinct beds (0 disables the count rule)…</param>
/// <param name="MinShare">…and at least this share of the monitored beds (0 disables the share rule).</param>
internal sealed record FacilityIncidentOptions(TimeSpan Window, int MinBeds = 3, double MinShare = 0.3)
{
    public static FacilityIncidentOptions Default { get; } = new(TimeSpan.FromMinutes(2));
}

/// <summary>One <c>facility-incident</c>: the beds whose arousal began together, reported once.</summary>
internal sealed record FacilityIncident(DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<string> Beds, int MonitoredBeds);

/// <summary><c>facility-incident</c>: many beds entering arousal within a short window (a shared cause: noise, fire
/// alarm, an Architect fault across beds) is one incident naming the beds, not N separate alarms.</summary>
internal static class FacilityIncidentDetector
{
    public const string Code = "facility-incident";

    /// <param name="onsets">Arousal onsets per bed (e.g. <see cref="ArousalEpisode.Start"/>), any order.</param>
    /// <param name="monitoredBeds">Beds being monitored, for the share rule.</param>
    public static IReadOnlyList<FacilityIncident> Detect(IEnumerable<(string Bed, DateTimeOffset Onset)> onsets,
        int monitoredBeds, FacilityIncidentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(onsets);
        var o = options ?? FacilityIncidentOptions.Default;
        var required = Math.Max(1, Math.Max(o.MinBeds, (int)Math.Ceiling(o.MinShare * monitoredBeds)));
        var sorted = onsets.OrderBy(x => x.Onset).ToList();
        var incidents = new List<FacilityIncident>();
        var i = 0;
        while (i < sorted.Count)
        {
            var inWindow = sorted.Skip(i).TakeWhile(x => x.Onset - sorted[i].Onset <= o.Window).ToList();
            if (inWindow.Select(x => x.Bed).Distinct().Count() < required)
            {
                i++;
                continue;
            }

            // Fired: keep absorbing onsets that follow within the window, so one cascade is one incident.
            var last = i + inWindow.Count - 1;
            while (last + 1 < sorted.Count && sorted[last + 1].Onset - sorted[last].Onset <= o.Window)
            {
                last++;
            }

            var members = sorted.GetRange(i, last - i + 1);
            incidents.Add(new FacilityIncident(members[0].Onset, members[^1].Onset,
                members.Select(m => m.Bed).Distinct().Order(StringComparer.Ordinal).ToList(), monitoredBeds));
            i = last + 1;
        }

        return incidents;
    }
}

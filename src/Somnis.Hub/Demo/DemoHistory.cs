using Somnis.Edge.Publishing;
using Somnis.Edge.Simulation;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Demo;

/// <summary>One past night of a demo sleeper, as planned.</summary>
/// <param name="Date">The night's date (the evening it began, facility time).</param>
/// <param name="LightsOff">When the sleeper lay down (22:00–24:00 facility time).</param>
/// <param name="Scenario">What the bed lives through: <c>architect-deprivation</c> on an Architect night, else <c>natural</c>.</param>
/// <param name="Intensity">The Architect's intensity on an Architect night, 0.12–0.5 (1 on natural nights).</param>
/// <param name="Seed">The night's seed (the sleeper model's and the bed's noise).</param>
internal sealed record HistoryNight(DateOnly Date, DateTimeOffset LightsOff, Scenario Scenario, double Intensity, int Seed);

/// <summary>
/// The demo's past nights (docs/study.md, "The demo's story"): planned from the sleeper's program on each date, simulated
/// ahead of time at full speed by the edge's own sleeper model and bed source (the vitals the bed would have published),
/// scored by the live path's <see cref="SleepTracker"/> (the same scorer and assessments, fed directly rather than through
/// MQTT) and handed to the <see cref="NightRecorder"/> as finished nights of record.
/// </summary>
internal static class DemoHistory
{
    /// <summary>Share of an Architect user's Architect-program nights with the Architect left off (at least one of two).</summary>
    private const double OffShare = 0.3;

    // The Architect's intensity on a past Architect night: at the least still an Architect night for the study
    // (Study:MinStimulated, 30 min), at the most half the live demo's all-night deprivation.
    private const double MinIntensity = 0.12;
    private const double MaxIntensity = 0.5;

    private static readonly TimeOnly EarliestLightsOff = new(22, 0);
    private static readonly TimeOnly LatestLightsOff = new(23, 55);

    /// <summary>Data fed past the night's end so the scorer has finalized every epoch up to it: its look-ahead, the grace
    /// for late samples and an epoch to spare.</summary>
    private static readonly TimeSpan Overrun = (ScoredEpoch.Length * (EpochScorer.LookaheadEpochs + 2)) + EpochScorer.Grace;

    /// <summary>
    /// The <paramref name="nights"/> nights before <paramref name="tonight"/>, oldest first. Each follows the sleeper's
    /// program on its date: an Architect night runs the deprivation model at an intensity drawn from 0.12–0.5 (bouts of 3 to
    /// 12.5 min every 35 min: about 40–175 min stimulated, short of the live demo's all-night deprivation), except on the
    /// ~30 % of nights an Architect user leaves it off (at least one of any two); Companions nights are natural. Lights-off
    /// varies ±25 min around the sleeper's bedtime, within 22:00–23:55 facility time. Nights that would not be over by
    /// <paramref name="now"/> are left out.
    /// </summary>
    public static IReadOnlyList<HistoryNight> Plan(DemoSleeper cast, Sleeper sleeper, DateOnly tonight, int nights, TimeZoneInfo zone,
        TimeSpan nightLength, TimeSpan nightGap, DateTimeOffset now)
    {
        var rng = new Random(unchecked((cast.Seed * 31) + 17));
        var dates = Enumerable.Range(0, nights).Select(k => tonight.AddDays(k - nights)).ToList();
        var architect = dates.Where(d => sleeper.ProgramOn(d) == SleepProgram.Architect).ToArray();
        rng.Shuffle(architect);
        var off = architect.Length >= 2 ? Math.Max(1, (int)Math.Round(architect.Length * OffShare)) : 0;
        var leftOff = architect.Take(off).ToHashSet();

        var plan = new List<HistoryNight>(nights);
        foreach (var date in dates)
        {
            var bedtime = cast.Bedtime.AddMinutes(rng.Next(-25, 26));
            bedtime = bedtime < EarliestLightsOff ? EarliestLightsOff : bedtime > LatestLightsOff ? LatestLightsOff : bedtime;
            var lightsOff = Local(date, bedtime, zone);
            var intensity = Math.Round(MinIntensity + (rng.NextDouble() * (MaxIntensity - MinIntensity)), 2);
            var deprived = sleeper.ProgramOn(date) == SleepProgram.Architect && !leftOff.Contains(date);
            var seed = unchecked((cast.Seed * 1_000_003) + date.DayNumber);
            if (lightsOff + nightLength + nightGap <= now)
            {
                plan.Add(new HistoryNight(date, lightsOff, deprived ? Scenario.ArchitectDeprivation : Scenario.Natural, deprived ? intensity : 1, seed));
            }
        }

        return plan;
    }

    /// <summary>
    /// Simulates and scores the planned nights of one sleeper in order (one tracker: the sleep debt carries from night to
    /// night as it would live) and hands each to <paramref name="recorder"/> as a finished night: lights-off, the hypnogram,
    /// every assessment update, and the end — out of bed for <see cref="DetectionOptions.NightGap"/> after getting up, the
    /// rule that ends a night live — with the metrics of the stored hypnogram.
    /// </summary>
    /// <returns>Nights handed over.</returns>
    public static int Record(DemoSleeper cast, string facility, IReadOnlyList<HistoryNight> plan, NightRecorder recorder,
        DetectionOptions detection, TimeSpan nightLength, TimeSpan interval, CancellationToken cancellationToken)
    {
        var tracker = new SleepTracker(facility, cast.Bed, detection);
        var timeline = new SimulationTimeline(nightLength, TimeSpan.FromDays(1) - nightLength);
        var updates = new List<AssessmentUpdate>();
        var recorded = 0;
        foreach (var night in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = new SleeperModel(night.Scenario, night.Seed, timeline, architectIntensity: night.Intensity, baseHeartRate: cast.BaseHeartRate);
            using var source = new SimulatedBedSource(model, night.Seed, speed: 1);
            var end = night.LightsOff + nightLength + detection.NightGap;
            updates.Clear();
            long seq = 0;
            for (var ts = night.LightsOff + interval; ts <= end + Overrun; ts += interval)
            {
                updates.AddRange(tracker.Add(BedRunner.Vitals(cast.Bed, ++seq, ts, interval, source.Next(interval), engaged: false)));
            }

            if (tracker.Scorer is null)
            {
                continue;
            }

            var key = recorder.Started(facility, cast.Bed, tracker.NightStart);
            var epochs = tracker.Epochs.Where(e => e.Start + ScoredEpoch.Length <= end).ToList();
            tracker.EndNight(updates);
            recorder.Epochs(key, epochs);
            foreach (var u in StateChanges(updates))
            {
                // The tracker ends the night a little later than the stored night (the data fed past it): what it
                // raised or cleared there happened at the stored end.
                recorder.Assessment(key, u.EventTime > end ? u with { EventTime = end } : u);
            }

            recorder.Ended(key, end, NightMetrics.Compute(epochs, detection.NeedHours));
            recorded++;
        }

        return recorded;
    }

    /// <summary>
    /// The updates a night of record needs: where an assessment became true, the last update while it held (its latest
    /// summary and evidence) and where it cleared. The live tracker repeats an assessment with fresh evidence on every
    /// epoch while it holds; the ones in between are replaced by the next anyway.
    /// </summary>
    internal static List<AssessmentUpdate> StateChanges(IReadOnlyList<AssessmentUpdate> updates)
    {
        var keep = new bool[updates.Count];
        var holding = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < updates.Count; i++)
        {
            // The first update of a period (or any clearing).
            keep[i] = !updates[i].Active || holding.Add(updates[i].Type);
            if (!updates[i].Active)
            {
                holding.Remove(updates[i].Type);
            }
        }

        holding.Clear();
        for (var i = updates.Count - 1; i >= 0; i--)
        {
            // The last update of a period: nothing of its type follows, or what follows clears it.
            keep[i] |= updates[i].Active && holding.Add(updates[i].Type);
            if (!updates[i].Active)
            {
                holding.Remove(updates[i].Type);
            }
        }

        return [.. updates.Where((_, i) => keep[i])];
    }

    /// <summary>A facility-local date and time as an instant (a time inside a daylight-saving gap moves on by the gap).</summary>
    public static DateTimeOffset Local(DateOnly date, TimeOnly time, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

using System.Text.Json.Nodes;

namespace Somnis.Hub.Detection;

/// <summary>
/// The assessments over a recorded night, for <c>analyze</c>: the same rules the live tracker evaluates as epochs are
/// finalized (<see cref="SleepTracker"/>), replayed epoch by epoch so each holds where it would have held live, and
/// reported as periods with their evidence. Times are seconds from the recording start.
/// </summary>
internal static class AnalyzeAssessments
{
    public static IReadOnlyList<AnalyzeAssessment> Find(IReadOnlyList<ScoredEpoch> epochs, double needHours, double tstSdMin,
        TimeSpan? deprivationWindow = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var found = new List<AnalyzeAssessment>();
        if (epochs.Count == 0)
        {
            return found;
        }

        var origin = epochs[0].Start - TimeSpan.FromSeconds(epochs[0].StartSeconds);
        double Seconds(DateTimeOffset t) => Math.Round((t - origin).TotalSeconds, 1);

        // As live: the baseline is the running mean of unstimulated sleep, and each rule sees the night up to each epoch.
        var deprivation = new ArchitectDeprivationOptions(deprivationWindow ?? ArchitectDeprivationOptions.Default.Window);
        var list = new EpochListFacts(epochs);
        double sleepingSum = 0;
        var sleepingCount = 0;
        ArchitectDeprivationEvidence? open = null;
        double openStart = 0;
        var arousals = new Dictionary<DateTimeOffset, ArousalEpisode>();
        for (var i = 0; i < epochs.Count; i++)
        {
            if (ArchitectDeprivation.Counts(epochs[i]))
            {
                sleepingSum += epochs[i].MeanHeartRate!.Value;
                sleepingCount++;
            }

            double? baseline = sleepingCount > 0 ? sleepingSum / sleepingCount : null;
            var prefix = new Prefix(list, i + 1);
            var now = ArchitectDeprivation.Assess(prefix, baseline, deprivation);
            if (now is not null)
            {
                openStart = open is null ? Seconds(now.WindowStart) : openStart;
                open = now;
            }
            else if (open is not null)
            {
                found.Add(Deprivation(open, openStart, Seconds));
                open = null;
            }

            if (SustainedArousal.Ongoing(prefix, baseline) is { } episode)
            {
                // The same episode grows epoch by epoch: keep its latest (longest) form.
                arousals[episode.Start] = episode;
            }
        }

        if (open is not null)
        {
            found.Add(Deprivation(open, openStart, Seconds));
        }

        found.AddRange(arousals.Values.Select(a => new AnalyzeAssessment(SustainedArousal.Code, Seconds(a.Start), Seconds(a.End), new JsonObject
        {
            ["mean_hr"] = Math.Round(a.MeanHr, 1),
            ["peak_hr"] = Math.Round(a.PeakHr, 1),
            ["baseline_hr"] = Math.Round(a.BaselineHr, 1),
            ["duration_min"] = a.Duration.TotalMinutes,
        })));

        var end = epochs[^1].StartSeconds + EpochScorer.EpochSeconds;
        if (AcuteSleepLoss.Assess(epochs, nightFinished: true, options: AcuteSleepLossOptions.Default with { NeedHours = needHours },
                wholeNightSdMin: tstSdMin) is { } loss)
        {
            found.Add(new AnalyzeAssessment(AcuteSleepLoss.Code, epochs[0].StartSeconds, end, new JsonObject
            {
                ["reason"] = loss.Reason,
                ["total_sleep_min"] = Math.Round(loss.TotalSleepMin, 1),
                ["sd_min"] = Math.Round(loss.SdMin, 1),
                ["no_signal_min"] = loss.NoSignalMin,
                ["probability_short"] = Math.Round(loss.ProbabilityShort, 3),
                ["need_min"] = loss.NeedMin,
                ["debt_hours"] = Math.Round(loss.DebtHours, 2),
            }));
        }

        return [.. found.OrderBy(a => a.Start).ThenBy(a => a.Type, StringComparer.Ordinal)];
    }

    private static AnalyzeAssessment Deprivation(ArchitectDeprivationEvidence e, double start, Func<DateTimeOffset, double> seconds) =>
        new(ArchitectDeprivation.Code, start, seconds(e.WindowEnd), new JsonObject
        {
            ["window_start"] = seconds(e.WindowStart),
            ["window_end"] = seconds(e.WindowEnd),
            ["stimulated_min"] = e.StimulatedMin,
            ["sleep_efficiency_stimulated"] = Math.Round(e.SleepEfficiencyStimulated, 3),
            ["expected_efficiency_stimulated"] = Math.Round(e.ExpectedEfficiencyStimulated, 3),
            ["awakenings_stimulated"] = e.AwakeningsStimulated,
            ["mean_hr_stimulated"] = Math.Round(e.MeanHrStimulated, 1),
            ["baseline_hr"] = Math.Round(e.BaselineHr, 1),
            ["hr_rise"] = Math.Round(e.HrRise, 3),
        });

    /// <summary>The first <c>count</c> epochs of a night, as the live tracker held them then.</summary>
    private readonly struct Prefix(EpochListFacts night, int count) : IEpochFacts
    {
        public int Count => count;

        public EpochFacts Facts(int index) => night.Facts(index);
    }
}

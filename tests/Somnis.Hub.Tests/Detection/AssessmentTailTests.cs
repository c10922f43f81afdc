using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

/// <summary>
/// Live detection reads only the tail of the night (performance, docs/performance.md): these check on random nights that
/// the tail readings give exactly what the whole-night definitions give.
/// </summary>
public sealed class AssessmentTailTests
{
    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Ongoing_arousal_is_the_last_episode_of_the_whole_night_when_it_reaches_the_end(int seed)
    {
        var night = RandomNight(seed);
        for (var n = 1; n <= night.Count; n += 7)
        {
            var prefix = night.Take(n).ToList();
            var baseline = ArchitectDeprivation.SleepingBaseline(prefix) ?? 55;
            var all = SustainedArousal.Find(prefix, baseline);
            var end = prefix[^1].Start + ScoredEpoch.Length;
            var expected = all.Count > 0 && all[^1].End >= end ? all[^1] : null;
            var actual = SustainedArousal.Ongoing(prefix, baseline);
            Assert.Equal(expected?.Start, actual?.Start);
            Assert.Equal(expected?.End, actual?.End);
            Assert.Equal(expected?.PeakHr, actual?.PeakHr);
            Assert.Equal(expected?.MeanHr ?? 0, actual?.MeanHr ?? 0, 9);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Deprivation_over_the_window_tail_matches_the_whole_night_definition(int seed)
    {
        var night = RandomNight(seed);
        var fired = 0;
        for (var n = 1; n <= night.Count; n += 5)
        {
            var prefix = night.Take(n).ToList();
            var baseline = ArchitectDeprivation.SleepingBaseline(prefix) ?? 55;
            var expected = Reference(prefix, baseline, ArchitectDeprivationOptions.Default);
            var actual = ArchitectDeprivation.Assess(prefix, baseline);
            Assert.Equal(expected is null, actual is null);
            if (expected is not null)
            {
                fired++;
                Assert.Equal(expected.AwakeningsStimulated, actual!.AwakeningsStimulated);
                Assert.Equal(expected.StimulatedMin, actual.StimulatedMin);
                Assert.Equal(expected.SleepEfficiencyStimulated, actual.SleepEfficiencyStimulated, 12);
                Assert.Equal(expected.MeanHrStimulated, actual.MeanHrStimulated, 9);
            }
        }

        // The random nights are built so that deprivation fires on some prefixes: the comparison is not vacuous.
        Assert.True(seed % 2 == 1 || fired > 0, $"seed {seed}: deprivation never fired");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_packed_live_night_gives_the_same_assessments_as_the_list(int seed)
    {
        var night = RandomNight(seed);
        var packed = new NightEpochs();
        var compared = 0;
        for (var n = 1; n <= night.Count; n++)
        {
            packed.Add(night[n - 1]);
            if (n % 3 != 0 && n != night.Count)
            {
                continue;
            }

            // The packed night holds its numbers in single precision: the list it is compared with does too.
            var prefix = night.Take(n).Select(NightEpochsTests.Packed).ToList();
            var baseline = ArchitectDeprivation.SleepingBaseline(prefix) ?? 55;
            Assert.Equal(ArchitectDeprivation.Assess(prefix, baseline), ArchitectDeprivation.Assess(packed, baseline));
            Assert.Equal(SustainedArousal.Ongoing(prefix, baseline), SustainedArousal.Ongoing(packed, baseline));
            compared++;
        }

        Assert.True(compared > 100);
        Assert.Equal(night.Select(NightEpochsTests.Packed).Select(EpochFacts.Of), Enumerable.Range(0, packed.Count).Select(packed.Facts));
    }

    /// <summary>The definition as first written: filter the whole night to the window, then count.</summary>
    private static ArchitectDeprivationEvidence? Reference(IReadOnlyList<ScoredEpoch> epochs, double baseline, ArchitectDeprivationOptions o)
    {
        var end = epochs[^1].Start + ScoredEpoch.Length;
        var start = end - o.Window;
        var window = epochs.Where(e => e.Start >= start && e.InBed).ToList();
        var stimulated = window.Where(e => e.Stimulating).ToList();
        if (stimulated.Count == 0 || stimulated.Count < o.MinStimulatedShare * (o.Window.TotalSeconds / 30))
        {
            return null;
        }

        var efficiency = (double)stimulated.Count(e => e.IsSleep) / stimulated.Count;
        var expected = stimulated.Average(e => e.PSleep);
        // An awakening: the epoch where a wake run that followed sleep reaches one minute, if stimulated.
        var awakenings = 0;
        for (var i = 2; i < window.Count; i++)
        {
            var run = window.Skip(i - ArchitectDeprivation.AwakeningEpochs + 1).Take(ArchitectDeprivation.AwakeningEpochs);
            var before = i - ArchitectDeprivation.AwakeningEpochs;
            awakenings += window[i].Stimulating && run.All(e => !e.IsSleep) && before >= 0 && window[before].IsSleep ? 1 : 0;
        }

        var hrs = stimulated.Where(e => e.MeanHeartRate is not null).Select(e => e.MeanHeartRate!.Value).ToList();
        if (hrs.Count == 0)
        {
            return null;
        }

        var meanHr = hrs.Average();
        var rise = (meanHr - baseline) / baseline;
        return ((efficiency < o.MaxSleepEfficiency && expected < o.MaxExpectedEfficiency) || awakenings >= o.MinAwakenings) && rise >= o.MinHrRise
            ? new ArchitectDeprivationEvidence(start, end, stimulated.Count * 0.5, efficiency, awakenings, meanHr, baseline, rise, expected)
            : null;
    }

    /// <summary>A night of random runs of sleep, wake and out of bed; even seeds get long stimulated, wakeful stretches.</summary>
    private static List<ScoredEpoch> RandomNight(int seed)
    {
        var rng = new Random(seed);
        var pattern = new System.Text.StringBuilder();
        var stimulated = new List<bool>();
        while (pattern.Length < 600)
        {
            var deprived = seed % 2 == 0 && rng.NextDouble() < 0.85;
            var c = deprived ? (rng.NextDouble() < 0.7 ? 'W' : 'S') : "SSSSWO"[rng.Next(6)];
            var run = rng.Next(1, deprived ? 6 : 30);
            pattern.Append(c, run);
            stimulated.AddRange(Enumerable.Repeat(deprived || rng.NextDouble() < 0.1, run));
        }

        return Epochs.From(pattern.ToString(),
            hr: (i, c) => rng.NextDouble() < 0.05 ? null : c == 'S' ? 54 + rng.NextDouble() * 4 : stimulated[i] ? 70 + rng.NextDouble() * 20 : 60 + rng.NextDouble() * 30,
            stimulating: i => stimulated[i]);
    }
}

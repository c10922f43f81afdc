using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;

namespace Somnis.Hub.Tests.Study;

/// <summary>The study over a small set of nights whose answer is computed by hand in the comments.</summary>
public sealed class StudyReportTests
{
    private static readonly StudySettings Default = new(30, ExcludeFirstNight: true);
    private static int _day;

    internal static StudyNight Night(string sleeper, double tst, double stimulated, SleepProgram program = SleepProgram.Architect, bool first = false,
        double? sleepingHr = null) =>
        new(sleeper, "nexus", new DateOnly(2026, 3, 1).AddDays(_day++ % 300), program, first, stimulated, tst, tst / 480, null, null, null, null, sleepingHr, null);

    /// <summary>
    /// Architect users a–d (Architect night = stimulated ≥ 30 min, natural = 0 min), TST in minutes:
    ///   a: Architect 380, 400 → 390; natural 430, 430 → 430 (and a first night of 200, left out) → diff −40
    ///   b: Architect 350 → 350;      natural 400 → 400                                              → diff −50
    ///   c: Architect 340, 360 → 350; natural 410 → 410                                              → diff −60
    ///   d: Architect 420 → 420;      natural 450 → 450 (and 400 stimulated 10 min: neither)         → diff −30
    /// Companions e (460, 440) and f (420) have natural nights only; g switched programs.
    /// Pooled TST diff: −45, 95 % CI [−65.543, −24.457], d_z −3.486 (StudyStatisticsTests shows the arithmetic).
    /// </summary>
    internal static List<StudyNight> Example() =>
    [
        Night("a", 200, 0, first: true), Night("a", 380, 60), Night("a", 400, 45), Night("a", 430, 0), Night("a", 430, 0),
        Night("b", 350, 90), Night("b", 400, 0),
        Night("c", 340, 30), Night("c", 360, 120), Night("c", 410, 0),
        Night("d", 420, 50), Night("d", 450, 0), Night("d", 400, 10),
        Night("e", 460, 0, SleepProgram.Companions), Night("e", 440, 0, SleepProgram.Companions),
        Night("f", 420, 0, SleepProgram.Companions),
        Night("g", 380, 60, SleepProgram.Architect), Night("g", 430, 0, SleepProgram.Companions),
    ];

    private static readonly Dictionary<string, string> Names = new() { ["a"] = "Ada", ["b"] = "Ben" };

    [Fact]
    public void Per_sleeper_means_and_differences()
    {
        var r = StudyReport.Compute(Example(), Names, Default);
        Assert.Equal(17, r.Nights);
        var a = r.Sleepers.Single(s => s.Id == "a");
        Assert.Equal("Ada", a.Name);
        Assert.Equal((2, 2, 0), (a.ArchitectNights, a.NaturalNights, a.OtherNights));
        Assert.Equal(new SleeperMetric(390, 430, -40), a.Metrics["tstMin"]);
        var d = r.Sleepers.Single(s => s.Id == "d");
        Assert.Equal("d", d.Name);
        Assert.Equal((1, 1, 1), (d.ArchitectNights, d.NaturalNights, d.OtherNights));
        // Companions e has natural nights only: means, no difference.
        Assert.Equal(new SleeperMetric(null, 450, null), r.Sleepers.Single(s => s.Id == "e").Metrics["tstMin"]);
    }

    [Fact]
    public void Pooled_difference_is_the_mean_of_per_sleeper_differences_with_a_t_interval()
    {
        var r = StudyReport.Compute(Example(), Names, Default);
        var tst = r.Pooled["tstMin"];
        // Sleepers a, b, c, d and g (g: Architect 380, natural 430 → −50) have both kinds. With g: diffs −40, −50, −60, −30, −50
        // mean = −230 / 5 = −46; deviations 6, −4, −14, 16, −4 → squares 36 + 16 + 196 + 256 + 16 = 520 → variance 130, SD 11.4018
        // SE = 11.4018 / √5 = 5.0990; t(0.975, 4) = 2.77645 → half 14.157 → CI [−60.157, −31.843]; d_z = −46 / 11.4018 = −4.034
        Assert.Equal(5, tst.Sleepers);
        Assert.Equal(-46, tst.Diff);
        Assert.Equal(-60.157, tst.Ci95![0], 3);
        Assert.Equal(-31.843, tst.Ci95[1], 3);
        Assert.Equal(-4.034, tst.EffectSize!.Value, 3);
        // Means of the per-sleeper means: Architect (390 + 350 + 350 + 420 + 380) / 5 = 378; natural (430 + 400 + 410 + 450 + 430) / 5 = 424.
        Assert.Equal(378, tst.ArchitectMean);
        Assert.Equal(424, tst.NaturalMean);
        Assert.Equal((7, 6), (tst.ArchitectNights, tst.NaturalNights));
        Assert.Equal("On Architect nights, 5 sleepers slept 46 min less than on their natural nights (95 % CI 32–60 min; 7 Architect and 6 natural nights).", tst.Sentence);
        Assert.Equal(tst.Sentence, r.Sentences[0]);
    }

    [Fact]
    public void The_hand_example_of_four_sleepers()
    {
        var r = StudyReport.Compute([.. Example().Where(n => n.SleeperId != "g")], Names, Default);
        var tst = r.Pooled["tstMin"];
        Assert.Equal(-45, tst.Diff);
        Assert.Equal([-65.543, -24.457], tst.Ci95!);
        Assert.Equal(-3.486, tst.EffectSize);
        Assert.Equal("On Architect nights, 4 sleepers slept 45 min less than on their natural nights (95 % CI 24–66 min; 6 Architect and 5 natural nights).", tst.Sentence);
    }

    [Fact]
    public void First_nights_count_only_when_asked()
    {
        var r = StudyReport.Compute(Example(), Names, Default with { ExcludeFirstNight = false });
        Assert.Equal(18, r.Nights);
        var a = r.Sleepers.Single(s => s.Id == "a");
        // Natural mean with the first night: (200 + 430 + 430) / 3 = 353.333; diff 390 − 353.333 = 36.667.
        Assert.Equal(3, a.NaturalNights);
        Assert.Equal(36.667, a.Metrics["tstMin"].Diff);
    }

    [Fact]
    public void Metrics_without_data_say_so_instead_of_inventing_a_number()
    {
        var r = StudyReport.Compute(Example(), Names, Default);
        var sol = r.Pooled["solMin"];
        Assert.Null(sol.Diff);
        Assert.Equal(0, sol.Sleepers);
        Assert.Equal("No sleeper has both Architect and natural nights in this selection: sleep-onset latency cannot be compared.", sol.Sentence);

        var one = StudyReport.Compute([Night("x", 400, 60), Night("x", 430, 0)], Names, Default);
        Assert.Null(one.Pooled["tstMin"].Ci95);
        Assert.Contains("1 sleeper slept 30 min less", one.Pooled["tstMin"].Sentence, StringComparison.Ordinal);
        Assert.Contains("one sleeper: no interval", one.Pooled["tstMin"].Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Cohorts_compare_companions_with_architect_users_and_leave_switchers_out()
    {
        var r = StudyReport.Compute(Example(), Names, Default);
        Assert.Equal(1, r.Cohorts.Switchers);
        Assert.Equal(4, r.Cohorts.Groups["architect"].Sleepers);
        Assert.Equal(2, r.Cohorts.Groups["companions"].Sleepers);
        Assert.Equal(0, r.Cohorts.Groups["none"].Sleepers);
        // Per-sleeper means over every selected night: a (380 + 400 + 430 + 430) / 4 = 410, b 375, c 370, d (420 + 450 + 400) / 3
        // = 423.333; companions e 450, f 420. Diff = 435 − (410 + 375 + 370 + 423.333) / 4 = 435 − 394.583 = 40.417.
        var tst = r.Cohorts.CompanionsMinusArchitect["tstMin"];
        var expected = StudyStatistics.Welch([450, 420], [410, 375, 370, 1270.0 / 3]);
        Assert.Equal(40.417, tst.Diff);
        Assert.Equal(Math.Round(expected.Low!.Value, 3), tst.Ci95![0]);
        Assert.Equal((2, 4), (tst.CompanionsSleepers, tst.ArchitectSleepers));
        Assert.StartsWith("Companions sleepers (2 sleepers, 3 nights) slept 40 min more than Architect users (4 sleepers, 12 nights) (95 % CI", tst.Sentence, StringComparison.Ordinal);
        Assert.Equal(394.583, r.Cohorts.Groups["architect"].Means["tstMin"]);
    }

    [Fact]
    public void A_night_stimulated_exactly_the_threshold_is_an_architect_night()
    {
        var r = StudyReport.Compute([Night("x", 400, 30), Night("x", 430, 0), Night("x", 420, 29.5)], Names, Default);
        Assert.Equal((1, 1, 1), (r.Sleepers[0].ArchitectNights, r.Sleepers[0].NaturalNights, r.Sleepers[0].OtherNights));
    }
}

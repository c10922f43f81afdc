using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;
using Somnis.Hub.Tests.Nights;

namespace Somnis.Hub.Tests.Study;

/// <summary>What the study page plots: the cohorts week by week and each sleeper's means per program, over a small
/// example computed by hand in the comments; and a sleeper's trend with the debt after each night.</summary>
public sealed class StudyTrendsTests
{
    private static StudyNight Night(string sleeper, string date, double tst, SleepProgram program) =>
        new(sleeper, "nexus", DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), program, false, program == SleepProgram.Architect ? 60 : 0,
            tst, tst / 480, null, null, null, null, null, null);

    /// <summary>
    /// 1 March 2026 is a Sunday, so its week begins on Monday 23 February; 2–8 March is the next week.
    ///   a (architect): 2 Mar 400, 3 Mar 360             → week 2 Mar: a's mean 380
    ///   b (architect): 4 Mar 420                        → week 2 Mar: 420
    ///   c (companions): 1 Mar 450 | 8 Mar 430 | 9 Mar 470 → weeks 23 Feb: 450, 2 Mar: 430, 9 Mar: 470
    ///   g switched: 5 Mar architect 380, 6 Mar companions 440
    /// Week 2 Mar, architect: sleepers a, b, g → (380 + 420 + 380) / 3 = 393.333, 4 nights; companions: c 430, g 440 → 435.
    /// </summary>
    private static readonly StudyNight[] Example =
    [
        Night("c", "2026-03-01", 450, SleepProgram.Companions),
        Night("a", "2026-03-02", 400, SleepProgram.Architect), Night("a", "2026-03-03", 360, SleepProgram.Architect),
        Night("b", "2026-03-04", 420, SleepProgram.Architect),
        Night("g", "2026-03-05", 380, SleepProgram.Architect), Night("g", "2026-03-06", 440, SleepProgram.Companions),
        Night("c", "2026-03-08", 430, SleepProgram.Companions), Night("c", "2026-03-09", 470, SleepProgram.Companions),
    ];

    [Theory]
    [InlineData("2026-03-01", "2026-02-23")]
    [InlineData("2026-03-02", "2026-03-02")]
    [InlineData("2026-03-08", "2026-03-02")]
    [InlineData("2026-03-09", "2026-03-09")]
    public void A_week_begins_on_monday(string date, string monday) =>
        Assert.Equal(DateOnly.Parse(monday, System.Globalization.CultureInfo.InvariantCulture), StudyTrends.WeekOf(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Weeks_average_sleepers_not_nights_per_program()
    {
        var weeks = StudyTrends.Weeks(Example);
        Assert.Equal(
            [("2026-02-23", "companions", 1, 1), ("2026-03-02", "architect", 3, 4), ("2026-03-02", "companions", 2, 2), ("2026-03-09", "companions", 1, 1)],
            weeks.Select(w => (w.Week.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), w.Program, w.Sleepers, w.Nights)));
        Assert.Equal(393.333, weeks[1].Means["tstMin"]);
        Assert.Equal(435, weeks[2].Means["tstMin"]);
        // Efficiency is TST / 480 in this example: 393.333 / 480 = 0.8194.
        Assert.Equal(0.819, weeks[1].Means["sleepEfficiency"]);
        // No night has a sleeping heart rate: no mean, not zero.
        Assert.Null(weeks[1].Means["sleepingHr"]);
    }

    [Fact]
    public void By_program_lists_each_sleeper_with_their_nights_in_it_and_a_switcher_under_both()
    {
        var byProgram = StudyTrends.ByProgram(Example);
        Assert.Equal(["architect", "companions", "none"], byProgram.Keys);
        Assert.Equal([("a", 2, 380.0), ("b", 1, 420.0), ("g", 1, 380.0)], byProgram["architect"].Select(s => (s.Id, s.Nights, s.Means["tstMin"]!.Value)));
        // c: (450 + 430 + 470) / 3 = 450.
        Assert.Equal([("c", 3, 450.0), ("g", 1, 440.0)], byProgram["companions"].Select(s => (s.Id, s.Nights, s.Means["tstMin"]!.Value)));
        Assert.Empty(byProgram["none"]);
    }

    [Fact]
    public void The_report_carries_the_weeks_the_programs_and_each_sleepers_programs()
    {
        var r = StudyReport.Compute(Example, new Dictionary<string, string>(), new StudySettings(30, ExcludeFirstNight: false));
        Assert.Equal(4, r.Weeks.Count);
        Assert.Equal(3, r.ByProgram["architect"].Count);
        Assert.Equal(["architect", "companions"], r.Sleepers.Single(s => s.Id == "g").Programs);
        Assert.Equal(["companions"], r.Sleepers.Single(s => s.Id == "c").Programs);
    }

    [Fact]
    public void A_sleepers_trend_adds_the_parts_of_a_night_and_carries_the_debt_after_each()
    {
        var t0 = new DateTimeOffset(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
        NightRecord Part(string bed, DateTimeOffset start, double tst, double stimulated = 0, bool ended = true) =>
            new($"nexus/{bed}/{start.ToUnixTimeMilliseconds()}", "nexus", bed, "ada", SleepProgram.Architect, Somnis.Hub.Dashboard.NightCalendar.NightOf(start, TimeZoneInfo.Utc),
                start, ended ? start.AddHours(8) : null, 10, StoredNights.Metrics(tst, stimulated), [], start);

        // 1 March: 180 min in bed-01, transferred, 150 min in bed-02 → 330 min of 960 in bed (efficiency 0.34375); need 7 h → debt 1.5 h.
        // 2 March: 360 min, 45 min stimulated → debt 2.5 h. 3 March still going on: not in the trend.
        var trend = StudyTrends.Sleeper("ada", [Part("bed-02", t0.AddDays(1), 360, 45), Part("bed-02", t0.AddHours(3.5), 150), Part("bed-01", t0, 180),
            Part("bed-02", t0.AddDays(2), 0, ended: false)], 7);
        Assert.Equal(("ada", 7.0), (trend.Sleeper, trend.NeedHours));
        Assert.Equal(2, trend.Nights.Count);
        var first = trend.Nights[0];
        Assert.Equal(new DateOnly(2026, 3, 1), first.Night);
        Assert.Equal([$"nexus/bed-01/{t0.ToUnixTimeMilliseconds()}", $"nexus/bed-02/{t0.AddHours(3.5).ToUnixTimeMilliseconds()}"], first.Ids);
        Assert.Equal((330, 1.5, 0), (first.TstMin, first.DebtHours, first.StimulatedMin));
        Assert.Equal(0.3438, first.SleepEfficiency!.Value, 3);
        Assert.Equal((360, 2.5, 45), (trend.Nights[1].TstMin, trend.Nights[1].DebtHours, trend.Nights[1].StimulatedMin));
        Assert.Equal(SleepProgram.Architect, trend.Nights[1].Program);
    }
}

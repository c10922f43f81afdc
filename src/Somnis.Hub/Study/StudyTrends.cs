using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Study;

/// <summary>One program's nights in one week: the mean of the sleepers' own means that week (docs/study.md, "The page").</summary>
/// <param name="Week">The Monday of the week; the week holds the night dates Monday to Sunday.</param>
/// <param name="Program">The nights' program (<c>architect</c>, <c>companions</c>, <c>none</c>).</param>
/// <param name="Sleepers">Sleepers with a night in the program that week.</param>
/// <param name="Means">Per metric key: the mean over those sleepers of each one's mean that week (null: no sleeper has a value).</param>
public sealed record StudyWeek(DateOnly Week, string Program, int Sleepers, int Nights, IReadOnlyDictionary<string, double?> Means);

/// <summary>One sleeper's selected nights in one program and the mean of each metric over them.</summary>
public sealed record ProgramSleeper(string Id, int Nights, IReadOnlyDictionary<string, double?> Means);

/// <summary>How a metric is said: its key, its name, the unit of a difference and of a value (a ratio 0–1 differs in
/// percentage points and is a percentage), the factor from the stored unit to the spoken one (ratios: 100) and the
/// decimals shown. The pages format with it, as the sentences do.</summary>
public sealed record MetricDefinition(string Key, string Name, string Unit, string LevelUnit, double Scale, int Decimals)
{
    public static readonly IReadOnlyList<MetricDefinition> All =
        [.. StudyMetric.All.Select(m => new MetricDefinition(m.Key, m.Name, m.Unit, m.Unit == "points" ? "%" : m.Unit, m.Scale, m.Decimals))];
}

/// <summary>One night date of a sleeper: the parts of the night (a transfer splits one over two beds) added up, and the
/// sleep debt after it.</summary>
/// <param name="Ids">The nights of record of that date, oldest first (each one's hypnogram is <c>/api/nights/{id}</c>).</param>
/// <param name="SleepEfficiency">TST / time in bed over the parts; null without time in bed.</param>
/// <param name="DebtHours">Debt after this night (<see cref="SleeperDebt"/>: need − TST per night date, never below 0).</param>
public sealed record SleeperTrendNight(DateOnly Night, IReadOnlyList<string> Ids, SleepProgram? Program, double TstMin, double? SleepEfficiency, double StimulatedMin, double DebtHours);

/// <summary>A sleeper's finished nights as a trend (what the sleeper page plots), oldest first.</summary>
public sealed record SleeperTrend(string Sleeper, double NeedHours, IReadOnlyList<SleeperTrendNight> Nights);

/// <summary>
/// What the study page plots besides the statistics, as pure functions of the selected nights: the cohorts' trend week
/// by week and each sleeper's means per program. Descriptive: sleepers, not nights, are averaged (a sleeper with many
/// nights in a week counts once), and nothing here is tested for a difference — that is <see cref="StudyReport"/>'s work.
/// </summary>
internal static class StudyTrends
{
    /// <summary>Per week and program, oldest first (programs in the order architect, companions, none).</summary>
    public static IReadOnlyList<StudyWeek> Weeks(IReadOnlyList<StudyNight> nights) =>
    [
        .. nights.GroupBy(n => (Week: WeekOf(n.NightDate), n.Program))
            .OrderBy(g => g.Key.Week).ThenBy(g => Order(g.Key.Program))
            .Select(g =>
            {
                var sleepers = g.GroupBy(n => n.SleeperId, StringComparer.Ordinal).Select(s => s.ToList()).ToList();
                return new StudyWeek(g.Key.Week, StudyReport.ProgramName(g.Key.Program), sleepers.Count, g.Count(), StudyReport.MeanOfSleeperMeans(sleepers));
            }),
    ];

    /// <summary>Per program (every program, empty where no night is in it): each sleeper with nights in it, by id. A
    /// sleeper who switched programs within the selection is under each program with the nights of that program.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<ProgramSleeper>> ByProgram(IReadOnlyList<StudyNight> nights) =>
        new[] { SleepProgram.Architect, SleepProgram.Companions, SleepProgram.None }.ToDictionary(
            StudyReport.ProgramName,
            p => (IReadOnlyList<ProgramSleeper>)[
                .. nights.Where(n => n.Program == p).GroupBy(n => n.SleeperId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new ProgramSleeper(g.Key, g.Count(), StudyReport.MeanOfSleeperMeans([[.. g]]))),
            ]);

    /// <summary>A sleeper's finished nights by night date with the debt after each (the rule of <see cref="SleeperDebt"/>).</summary>
    public static SleeperTrend Sleeper(string sleeperId, IEnumerable<NightRecord> nights, double needHours)
    {
        var trend = new List<SleeperTrendNight>();
        foreach (var (date, debt) in SleeperDebt.Accumulate(SleeperDebt.ByNightDate(nights), needHours))
        {
            var parts = date.OrderBy(n => n.Start).ToList();
            var tst = parts.Sum(n => n.Metrics!.TotalSleepMin);
            var inBed = parts.Sum(n => n.Metrics!.TimeInBedMin);
            trend.Add(new SleeperTrendNight(date.Key, [.. parts.Select(n => n.Id)], parts[^1].Program, tst,
                inBed > 0 ? Math.Round(tst / inBed, 4) : null, parts.Sum(n => n.Metrics!.StimulatedMin), Math.Round(debt, 3)));
        }

        return new SleeperTrend(sleeperId, needHours, trend);
    }

    /// <summary>The Monday on or before a date (ISO weeks).</summary>
    internal static DateOnly WeekOf(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static int Order(SleepProgram p) => p switch
    {
        SleepProgram.Architect => 0,
        SleepProgram.Companions => 1,
        _ => 2,
    };
}

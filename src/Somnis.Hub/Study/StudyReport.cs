using System.Globalization;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Study;

/// <summary>How nights are classified and filtered.</summary>
/// <param name="MinStimulatedMin">An Architect night was stimulated at least this long; a natural night not at all.</param>
/// <param name="ExcludeFirstNight">Leave out each sleeper's first night of record (first-night effect).</param>
internal sealed record StudySettings(double MinStimulatedMin, bool ExcludeFirstNight);

/// <summary>One sleeper's row: nights per condition and, per metric key, the means and Architect − natural.</summary>
/// <param name="OtherNights">Stimulated, but for less than the Architect threshold: in neither condition.</param>
/// <param name="Programs">The programs of the sleeper's selected nights, in the order they held (two for a switcher).</param>
public sealed record StudySleeper(string Id, string Name, int ArchitectNights, int NaturalNights, int OtherNights, IReadOnlyDictionary<string, SleeperMetric> Metrics,
    IReadOnlyList<string> Programs);

/// <summary>A sleeper's mean over Architect nights and over natural nights, and the difference (null without both).</summary>
public sealed record SleeperMetric(double? Architect, double? Natural, double? Diff);

/// <summary>The facility's answer for one metric: mean of per-sleeper differences (Architect − natural) with its 95 % t
/// interval, the number of sleepers it rests on, Cohen's d_z, and the sentence that says it.</summary>
public sealed record PooledMetric(
    double? Diff, double[]? Ci95, int Sleepers, double? EffectSize, double? ArchitectMean, double? NaturalMean, int ArchitectNights, int NaturalNights, string Sentence);

/// <summary>A program's cohort: sleepers whose every selected night is in it, and the mean of their per-sleeper means.</summary>
public sealed record CohortGroup(int Sleepers, int Nights, IReadOnlyDictionary<string, double?> Means);

/// <summary>Companions − Architect users for one metric, Welch's interval on per-sleeper means.</summary>
public sealed record CohortMetric(double? Diff, double[]? Ci95, double? Df, int CompanionsSleepers, int ArchitectSleepers, double? EffectSize, string Sentence);

/// <summary>The cohorts by program, and the comparison of Companions with Architect users.</summary>
/// <param name="Switchers">Sleepers with selected nights in more than one program: in no cohort (the groups must be independent).</param>
public sealed record StudyCohorts(string Comparison, int Switchers, IReadOnlyDictionary<string, CohortGroup> Groups, IReadOnlyDictionary<string, CohortMetric> CompanionsMinusArchitect);

/// <summary>The study over a selection of nights (what <c>GET /api/study</c> returns besides the echo of its filters), and
/// what its page plots (<see cref="StudyTrends"/>).</summary>
internal sealed record StudyResult(int Nights, IReadOnlyList<StudySleeper> Sleepers, IReadOnlyDictionary<string, PooledMetric> Pooled, StudyCohorts Cohorts,
    IReadOnlyList<string> Sentences, IReadOnlyList<StudyWeek> Weeks, IReadOnlyDictionary<string, IReadOnlyList<ProgramSleeper>> ByProgram);

/// <summary>The study as a pure function of the selected nights (method in docs/study.md). Nights are never pooled as if
/// independent: every number above the sleeper's own row rests on one value per sleeper.</summary>
internal static class StudyReport
{
    public const string Method =
        "Per sleeper, each metric is averaged over Architect nights (stimulated at least the threshold) and over natural nights (no stimulation); " +
        "pooled: mean of the per-sleeper differences (Architect − natural), 95 % t interval with n − 1 degrees of freedom, Cohen's d_z = mean / SD of the differences; " +
        "cohorts: Companions − Architect users on per-sleeper means with Welch's interval and Cohen's d; sleepers who switched programs within the selection are in no cohort. " +
        "Observational: associations, not causes (docs/study.md).";

    private enum Condition
    {
        Architect,
        Natural,
        Other,
    }

    public static StudyResult Compute(IReadOnlyList<StudyNight> selected, IReadOnlyDictionary<string, string> names, StudySettings settings)
    {
        var nights = settings.ExcludeFirstNight ? selected.Where(n => !n.FirstNight).ToList() : [.. selected];
        var bySleeper = nights.GroupBy(n => n.SleeperId).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var rows = new List<Row>();
        foreach (var group in bySleeper)
        {
            var own = group.ToList();
            var architect = own.Where(n => Classify(n, settings) == Condition.Architect).ToList();
            var natural = own.Where(n => Classify(n, settings) == Condition.Natural).ToList();
            rows.Add(new Row(group.Key, architect.Count, natural.Count, own.Count - architect.Count - natural.Count,
                [.. StudyMetric.All.Select(m => MeanOf(architect, m))], [.. StudyMetric.All.Select(m => MeanOf(natural, m))],
                [.. own.Select(n => n.Program).Distinct().Select(ProgramName)]));
        }

        var pooled = new Dictionary<string, PooledMetric>();
        for (var i = 0; i < StudyMetric.All.Count; i++)
        {
            pooled[StudyMetric.All[i].Key] = Pool(StudyMetric.All[i], i, rows);
        }

        var sleepers = rows.Select(r => new StudySleeper(r.Id, names.GetValueOrDefault(r.Id, r.Id), r.ArchitectNights, r.NaturalNights, r.OtherNights,
            StudyMetric.All.Select((m, i) => (m.Key, Value: new SleeperMetric(Round(r.Architect[i]), Round(r.Natural[i]), Round(r.Diff(i)))))
                .ToDictionary(x => x.Key, x => x.Value), r.Programs)).ToList();
        return new StudyResult(nights.Count, sleepers, pooled, Cohorts(bySleeper), [.. pooled.Values.Select(p => p.Sentence)],
            StudyTrends.Weeks(nights), StudyTrends.ByProgram(nights));
    }

    private static Condition Classify(StudyNight n, StudySettings s) =>
        n.StimulatedMin >= s.MinStimulatedMin && n.StimulatedMin > 0 ? Condition.Architect
        : n.StimulatedMin <= 0 ? Condition.Natural
        : Condition.Other;

    private static PooledMetric Pool(StudyMetric m, int i, List<Row> rows)
    {
        var paired = rows.Where(r => r.Diff(i) is not null).ToList();
        var architectNights = paired.Sum(r => r.ArchitectNights);
        var naturalNights = paired.Sum(r => r.NaturalNights);
        if (paired.Count == 0)
        {
            return new PooledMetric(null, null, 0, null, null, null, 0, 0,
                $"No sleeper has both Architect and natural nights in this selection: {m.Name} cannot be compared.");
        }

        var e = StudyStatistics.Paired([.. paired.Select(r => r.Diff(i)!.Value)]);
        var count = Plural(paired.Count, "sleeper");
        var interval = e.Low is { } lo && e.High is { } hi ? $"95 % CI {m.Interval(lo, hi)}" : "one sleeper: no interval";
        var sentence = string.Create(CultureInfo.InvariantCulture,
            $"On Architect nights, {count} {m.Phrase(e.Diff)} than on their natural nights ({interval}; {architectNights} Architect and {naturalNights} natural nights).");
        return new PooledMetric(Round(e.Diff), Ci(e), paired.Count, Round(e.EffectSize),
            Round(StudyStatistics.Mean([.. paired.Select(r => r.Architect[i]!.Value)])),
            Round(StudyStatistics.Mean([.. paired.Select(r => r.Natural[i]!.Value)])),
            architectNights, naturalNights, sentence);
    }

    private static StudyCohorts Cohorts(List<IGrouping<string, StudyNight>> bySleeper)
    {
        // A sleeper belongs to a cohort only when every selected night is in that program: Welch's interval needs
        // independent groups, and a switcher would be in both.
        var members = new Dictionary<SleepProgram, List<List<StudyNight>>>();
        var switchers = 0;
        foreach (var group in bySleeper)
        {
            var own = group.ToList();
            if (own.Select(n => n.Program).Distinct().Count() > 1)
            {
                switchers++;
                continue;
            }

            (members.TryGetValue(own[0].Program, out var list) ? list : members[own[0].Program] = []).Add(own);
        }

        var groups = new Dictionary<string, CohortGroup>();
        foreach (var program in new[] { SleepProgram.Architect, SleepProgram.Companions, SleepProgram.None })
        {
            var sleepers = members.GetValueOrDefault(program) ?? [];
            groups[ProgramName(program)] = new CohortGroup(sleepers.Count, sleepers.Sum(s => s.Count), MeanOfSleeperMeans(sleepers));
        }

        var comparison = new Dictionary<string, CohortMetric>();
        var companions = members.GetValueOrDefault(SleepProgram.Companions) ?? [];
        var architect = members.GetValueOrDefault(SleepProgram.Architect) ?? [];
        foreach (var m in StudyMetric.All)
        {
            var c = PerSleeperMeans(companions, m);
            var a = PerSleeperMeans(architect, m);
            if (c.Count == 0 || a.Count == 0)
            {
                comparison[m.Key] = new CohortMetric(null, null, null, c.Count, a.Count, null,
                    $"The cohorts cannot be compared on {m.Name}: this selection has {c.Count} Companions sleepers and {a.Count} Architect users.");
                continue;
            }

            var e = StudyStatistics.Welch(c, a);
            var interval = e.Low is { } lo && e.High is { } hi ? $"95 % CI {m.Interval(lo, hi)}, Welch" : "too few sleepers for an interval";
            var cNights = companions.Where(s => MeanOf(s, m) is not null).Sum(s => s.Count);
            var aNights = architect.Where(s => MeanOf(s, m) is not null).Sum(s => s.Count);
            comparison[m.Key] = new CohortMetric(Round(e.Diff), Ci(e), Round(e.Df), c.Count, a.Count, Round(e.EffectSize), string.Create(CultureInfo.InvariantCulture,
                $"Companions sleepers ({Plural(c.Count, "sleeper")}, {Plural(cNights, "night")}) {m.Phrase(e.Diff)} than Architect users ({Plural(a.Count, "sleeper")}, {Plural(aNights, "night")}) ({interval})."));
        }

        return new StudyCohorts("companions − architect", switchers, groups, comparison);
    }

    /// <summary>Per metric key, the mean over sleepers of each one's mean over their nights (null: no sleeper has a value).</summary>
    internal static Dictionary<string, double?> MeanOfSleeperMeans(List<List<StudyNight>> sleepers) => StudyMetric.All.ToDictionary(
        m => m.Key, m => PerSleeperMeans(sleepers, m) is { Count: > 0 } means ? Round(StudyStatistics.Mean(means)) : null);

    private static List<double> PerSleeperMeans(List<List<StudyNight>> sleepers, StudyMetric m) =>
        [.. sleepers.Select(s => MeanOf(s, m)).OfType<double>()];

    private static double? MeanOf(List<StudyNight> nights, StudyMetric m)
    {
        var (sum, n) = (0.0, 0);
        foreach (var night in nights)
        {
            if (m.Read(night) is { } v && double.IsFinite(v))
            {
                sum += v;
                n++;
            }
        }

        return n > 0 ? sum / n : null;
    }

    private static string Plural(int n, string word) => n == 1 ? $"1 {word}" : string.Create(CultureInfo.InvariantCulture, $"{n} {word}s");

    internal static string ProgramName(SleepProgram p) => p switch
    {
        SleepProgram.Architect => "architect",
        SleepProgram.Companions => "companions",
        _ => "none",
    };

    /// <summary>A sleeper's unrounded means per metric (indexes of <see cref="StudyMetric.All"/>).</summary>
    private sealed record Row(string Id, int ArchitectNights, int NaturalNights, int OtherNights, double?[] Architect, double?[] Natural, List<string> Programs)
    {
        public double? Diff(int i) => Architect[i] is { } a && Natural[i] is { } b ? a - b : null;
    }

    private static double[]? Ci(Estimate e) => e.Low is { } lo && e.High is { } hi ? [Math.Round(lo, 3), Math.Round(hi, 3)] : null;

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 3) : null;
}

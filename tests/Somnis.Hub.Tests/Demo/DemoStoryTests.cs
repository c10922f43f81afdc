using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Edge;
using Somnis.Edge.Simulation;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Demo;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Demo;

/// <summary>
/// The demo's story on a real embedded store: the cast with its programs in the beds, past nights simulated by the edge's
/// model and scored by the live tracker, on consecutive calendar nights, the same for the same seed, and nothing twice
/// when the demo starts again on the same data.
/// </summary>
public sealed class DemoStoryTests : IDisposable
{
    private const string Zone = "Europe/Berlin";

    // 15:00 in Berlin: tonight is the night of 2026-03-10, the history the nights before.
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 14, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Tonight = new(2026, 3, 10);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<TempStore> _stores = [];

    /// <summary>The live path's ledger of the last story made (<see cref="Story"/>).</summary>
    private SleeperLedger? _ledger;

    public void Dispose()
    {
        _services.Dispose();
        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    /// <param name="nightHours">Time in bed per night (the edge's default 8.5 h where the study's thresholds matter).</param>
    private (TempStore Db, DemoStory Story, EdgeOptions Edge) Story(int beds, int seed, int nights, TempStore? db = null, double nightHours = 8.5)
    {
        if (db is null)
        {
            db = new TempStore();
            _stores.Add(db);
        }

        var edge = new EdgeOptions { Beds = beds, Seed = seed, Scenario = "mix", NightLength = TimeSpan.FromHours(nightHours) };
        DemoMode.TellTheStory(edge, dayLengthGiven: false);
        var time = new FakeTimeProvider(Now);
        var writer = new NightWriter(db.Store, Options.Create(new StorageOptions { FlushInterval = TimeSpan.Zero }), time,
            _services.GetRequiredService<IMeterFactory>(), NullLogger<NightWriter>.Instance);
        var dashboard = Options.Create(new DashboardOptions { TimeZone = Zone });
        var detection = Options.Create(new DetectionOptions());
        _ledger = new SleeperLedger(db.Store, db.Store, detection);
        _ledger.Load();
        var story = new DemoStory(db.Store, db.Store, new NightRecorder(writer, dashboard, _ledger), writer, _ledger, Options.Create(new DemoOptions { HistoryNights = nights }),
            Options.Create(edge), detection, dashboard, time, new EdgeStartGate("test"), NullLogger<DemoStory>.Instance);
        return (db, story, edge);
    }

    private static List<NightRecord> NightsOf(TempStore db, string sleeper) => [.. db.Store.SleeperNights(sleeper, null, 100).OrderBy(n => n.Start)];

    [Fact]
    public void The_cast_is_admitted_with_its_programs_and_past_nights_that_follow_them_on_consecutive_calendar_nights()
    {
        // Seed 2 over the mix's eight beds (healthy, deprivation, healthy, healthy, sensor-fault, healthy, deprivation, healthy):
        // the deprivation beds and one healthy bed hold Architect users, the sensor-fault bed and two healthy beds Companions,
        // two healthy beds switchers.
        var (db, story, edge) = Story(beds: 8, seed: 2, nights: 4);
        var summary = story.Tell(CancellationToken.None);
        Assert.Equal((8, 8, 8, 4, 8, 32), (summary.Cast, summary.Admitted, summary.Sleepers, summary.HistoryNights, summary.Filled, summary.Nights));

        var sleepers = db.Store.Sleepers();
        var first = Tonight.AddDays(-4);
        var architect = sleepers.Where(s => s.Programs.SequenceEqual([new ProgramEntry(SleepProgram.Architect, first)])).ToList();
        var companions = sleepers.Where(s => s.Programs.SequenceEqual([new ProgramEntry(SleepProgram.Companions, first)])).ToList();
        var switchers = sleepers.Where(s => s.Programs.SequenceEqual(
            [new ProgramEntry(SleepProgram.Architect, first), new ProgramEntry(SleepProgram.Companions, first.AddDays(2))])).ToList();
        Assert.Equal((3, 3, 2), (architect.Count, companions.Count, switchers.Count));
        Assert.All(sleepers, s => Assert.Matches("^[A-Z][a-z]+ [A-Z][A-Za-z']+$", s.Name));
        Assert.Equal(8, sleepers.Select(s => s.Name).Distinct().Count());

        // Tonight's beds follow the programs: Companions and switchers sleep without an Architect.
        Assert.Equal("natural,architect-deprivation,natural,natural,sensor-fault,natural,architect-deprivation,healthy", edge.Scenario);

        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        foreach (var sleeper in sleepers)
        {
            var admission = Assert.Single(db.Store.Admissions(null, null, sleeper.Id));
            Assert.Null(admission.To);
            var nights = NightsOf(db, sleeper.Id);
            Assert.Equal([first, first.AddDays(1), first.AddDays(2), first.AddDays(3)], nights.Select(n => n.NightDate));
            Assert.All(nights, n =>
            {
                Assert.Equal(admission.Bed, n.Bed);
                Assert.True(admission.From <= n.Start, $"{sleeper.Id}: admitted {admission.From:o}, night {n.Start:o}");
                Assert.InRange(TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(n.Start, zone).DateTime), new TimeOnly(22, 0), new TimeOnly(23, 59));
                Assert.Equal(n.Start + TimeSpan.FromHours(9), n.End);
                Assert.Equal(1080, n.Epochs);
                Assert.Equal(sleeper.ProgramOn(n.NightDate), n.Program);
                Assert.NotNull(n.Metrics);
            });

            // The live path knows the sleeper in their bed, and their past nights count for the debt tonight starts from.
            Assert.Equal(new SleeperRef(sleeper.Id, sleeper.Name), _ledger!.Current(admission.Facility, admission.Bed));
            Assert.Equal(SleeperDebt.Compute(nights, NightMetrics.DefaultNeedHours), _ledger.Debt(sleeper.Id, admission.Facility, admission.Bed));
        }

        // Architect users have both kinds of nights for the study: stimulated for at least 30 min, and not at all.
        foreach (var sleeper in architect)
        {
            var stimulated = NightsOf(db, sleeper.Id).Select(n => n.Metrics!.StimulatedMin).ToList();
            Assert.Contains(stimulated, m => m >= 30);
            Assert.Contains(stimulated, m => m == 0);
        }

        // Switchers: one Architect night of each kind before the switch, natural nights after it; Companions never stimulated.
        foreach (var sleeper in switchers)
        {
            var stimulated = NightsOf(db, sleeper.Id).Select(n => n.Metrics!.StimulatedMin).ToList();
            Assert.Equal(1, stimulated.Take(2).Count(m => m >= 30));
            Assert.Equal(0, stimulated.Skip(2).Sum());
        }

        Assert.All(companions, s => Assert.All(NightsOf(db, s.Id), n => Assert.Equal(0, n.Metrics!.StimulatedMin)));

        // Architect nights were scored by the live tracker: less sleep, and its assessment of the short night with evidence.
        var deprived = architect.SelectMany(s => NightsOf(db, s.Id)).Where(n => n.Metrics!.StimulatedMin >= 30).ToList();
        var natural = companions.SelectMany(s => NightsOf(db, s.Id)).ToList();
        Assert.True(deprived.Average(n => n.Metrics!.TotalSleepMin) < natural.Average(n => n.Metrics!.TotalSleepMin) - 30);
        Assert.Contains(deprived, n => n.Assessments.Any(a => a.Type == AssessmentTypes.AcuteSleepLoss && a.Evidence is not null && a.Start >= n.Start && a.End <= n.End));

        // A demo started again on the same data (any seed) duplicates nothing.
        var again = Story(beds: 8, seed: 2, nights: 4, db).Story.Tell(CancellationToken.None);
        Assert.Equal((8, 0, 8, 0, 0), (again.Cast, again.Admitted, again.Sleepers, again.Filled, again.Nights));
        var otherSeed = Story(beds: 8, seed: 9, nights: 4, db).Story.Tell(CancellationToken.None);
        Assert.Equal((0, 0), (otherSeed.Admitted, otherSeed.Sleepers));
        Assert.Equal(8, db.Store.Sleepers().Count);
        Assert.Equal(32, db.Store.Sleepers().Sum(s => db.Store.SleeperNights(s.Id, null, 100).Count));
    }

    [Fact]
    public void The_same_seed_gives_the_same_past_nights_and_another_seed_other_ones()
    {
        static List<(string Id, NightMetrics? Metrics, string Assessments, string Epochs)> Nights(TempStore db) =>
        [
            .. db.Store.Sleepers().SelectMany(s => db.Store.SleeperNights(s.Id, null, 100)).OrderBy(n => n.Id, StringComparer.Ordinal)
                .Select(n => (n.Id, n.Metrics, string.Join(";", n.Assessments.Select(a => $"{a.Type} {a.Start:o} {a.End:o} {a.Summary}")),
                    string.Join(";", db.Store.NightEpochs(n.Id)))),
        ];

        var (a, storyA, _) = Story(beds: 2, seed: 5, nights: 2, nightHours: 3);
        var (b, storyB, _) = Story(beds: 2, seed: 5, nights: 2, nightHours: 3);
        var (c, storyC, _) = Story(beds: 2, seed: 6, nights: 2, nightHours: 3);
        storyA.Tell(CancellationToken.None);
        storyB.Tell(CancellationToken.None);
        storyC.Tell(CancellationToken.None);

        var nightsA = Nights(a);
        Assert.Equal(4, nightsA.Count);
        Assert.Equal(nightsA, Nights(b));
        static IEnumerable<string> Cast(TempStore db) => db.Store.Sleepers().Select(s => $"{s.Id} {s.Name} {string.Join(",", s.Programs)}");
        Assert.Equal(Cast(a), Cast(b));
        Assert.NotEqual(Cast(a), Cast(c));
        Assert.NotEqual(nightsA.Select(n => n.Metrics), Nights(c).Select(n => n.Metrics));
    }

    [Fact]
    public void A_night_keeps_where_each_assessment_began_its_latest_evidence_and_where_it_cleared()
    {
        static AssessmentUpdate U(string type, int minute, bool active = true) =>
            new(type, "nexus", "bed-01", active, Now.AddMinutes(minute), $"{type} at {minute}", null);

        // The tracker repeats an assessment while it holds: only the first and the last of each period matter.
        List<AssessmentUpdate> updates =
        [
            U("a", 1), U("a", 2), U("b", 2), U("a", 3), U("a", 4, active: false), U("a", 5), U("b", 6), U("b", 7),
        ];
        Assert.Equal(["a at 1", "b at 2", "a at 3", "a at 4", "a at 5", "b at 7"], DemoHistory.StateChanges(updates).Select(u => u.Summary));
    }

    [Fact]
    public void Simulated_days_are_real_days_unless_the_day_length_is_given()
    {
        var edge = new EdgeOptions { Beds = 3, NightLength = TimeSpan.FromHours(8) };
        DemoMode.TellTheStory(edge, dayLengthGiven: false);
        Assert.Equal(TimeSpan.FromHours(16), edge.DayLength);

        var given = new EdgeOptions { Beds = 3, DayLength = TimeSpan.FromHours(2) };
        DemoMode.TellTheStory(given, dayLengthGiven: true);
        Assert.Equal(TimeSpan.FromHours(2), given.DayLength);
    }

    [Theory]
    [InlineData("mix", 24, 1)]
    [InlineData("mix", 24, 7)]
    [InlineData("healthy,natural,sensor-fault", 9, 3)]
    public void The_cast_read_back_from_the_beds_scenarios_is_the_same_cast(string scenario, int beds, int seed)
    {
        var edge = new EdgeOptions { Beds = beds, Seed = seed, Scenario = scenario };
        Assert.True(Scenarios.TryAssign(scenario, beds, out var given, out _));
        DemoMode.TellTheStory(edge, dayLengthGiven: false);
        Assert.True(Scenarios.TryAssign(edge.Scenario, beds, out var live, out _));
        var ids = edge.BedIds();

        Assert.Equal(DemoCast.Create(ids, given, seed), DemoCast.Create(ids, live, seed));
        var again = new EdgeOptions { Beds = beds, Seed = seed, Scenario = edge.Scenario };
        DemoMode.TellTheStory(again, dayLengthGiven: false);
        Assert.Equal(edge.Scenario, again.Scenario);
        Assert.DoesNotContain(DemoCast.Create(ids, live, seed), c => c.Role != DemoRole.ArchitectUser && c.Live is Scenario.Healthy or Scenario.ArchitectDeprivation);
    }

    [Theory]
    [InlineData(-1, "--history-nights (Demo:HistoryNights) must be between 0 and 365 nights (got -1)")]
    [InlineData(366, "--history-nights (Demo:HistoryNights) must be between 0 and 365 nights (got 366)")]
    [InlineData(30, "--history-nights (Demo:HistoryNights) 30 reaches back as far as Storage:NightRetention (30 days) or further: the pruner would delete those nights at once")]
    public void Bad_history_lengths_are_refused_naming_the_flag(int nights, string message)
    {
        IValidateOptions<DemoOptions>[] validators = [new DemoOptionsValidator(), new DemoRetentionValidator(Options.Create(new StorageOptions { NightRetention = TimeSpan.FromDays(30) }))];
        var failures = validators.Select(v => v.Validate(null, new DemoOptions { HistoryNights = nights })).Where(r => r.Failed).SelectMany(r => r.Failures!);
        Assert.Contains(message, failures);
        Assert.All(validators, v => Assert.True(v.Validate(null, new DemoOptions { HistoryNights = 0 }).Succeeded));
    }

    [Theory]
    [InlineData(null, 24, 14)]
    [InlineData(null, 100, 10)]
    [InlineData(null, 5000, 0)]
    [InlineData(30, 5000, 30)]
    public void Unset_the_history_is_bounded_for_large_facilities(int? given, int beds, int expected) =>
        Assert.Equal(expected, new DemoOptions { HistoryNights = given }.HistoryNightsFor(beds));
}

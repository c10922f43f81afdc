using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// Named sleepers and their nights of record written through the store seam into a hub's data directory before the
/// hub starts (the study's and the sleeper pages' data, and their screenshots). Each night's hypnogram comes from a
/// small seeded model and its metrics from the hub's own <see cref="NightMetrics.Compute"/>: sleep with short awakenings
/// and an occasional trip out of bed; on Architect nights the Architect stimulates in a few periods, and the sleeper
/// is mostly awake while it does (less sleep, more WASO); Companions settle sooner and wake less. Architect users leave
/// it off on some nights; switchers go from Architect to Companions half-way. The nights begin on the Monday about nine
/// weeks before today (UTC; inside the store's night retention, far from a demo's live nights and its history), so a
/// study filtered to <see cref="From"/>–<see cref="To"/> reads these alone.
/// Every admission is closed at the end of the period: a test admits through the API whom it wants in a live bed.
/// </summary>
public sealed class StudyNights
{
    public const string Facility = "nexus";

    private static readonly (string Id, string Name, SleepProgram Program, bool Switches)[] People =
    [
        ("st-ada-okafor", "Ada Okafor", SleepProgram.Architect, false),
        ("st-bruno-lindqvist", "Bruno Lindqvist", SleepProgram.Architect, false),
        ("st-chiara-rossi", "Chiara Rossi", SleepProgram.Companions, false),
        ("st-dev-malhotra", "Dev Malhotra", SleepProgram.Architect, true),
        ("st-elif-yilmaz", "Elif Yilmaz", SleepProgram.Companions, false),
        ("st-farah-haddad", "Farah Haddad", SleepProgram.Architect, false),
        ("st-gustav-berg", "Gustav Berg", SleepProgram.None, false),
        ("st-hana-sato", "Hana Sato", SleepProgram.Architect, true),
        ("st-ines-moreau", "Ines Moreau", SleepProgram.Companions, false),
        ("st-jonas-weber", "Jonas Weber", SleepProgram.Architect, false),
        ("st-kofi-mensah", "Kofi Mensah", SleepProgram.Companions, false),
        ("st-lena-novak", "Lena Novak", SleepProgram.Architect, false),
    ];

    private StudyNights(IReadOnlyList<(string Id, string Name)> sleepers, DateOnly from, DateOnly to)
    {
        Sleepers = sleepers;
        From = from;
        To = to;
    }

    /// <summary>The sleepers written, in order (ids and names).</summary>
    public IReadOnlyList<(string Id, string Name)> Sleepers { get; }

    /// <summary>The first and last night date written.</summary>
    public DateOnly From { get; }

    public DateOnly To { get; }

    /// <summary>The study page's address for exactly these nights.</summary>
    public string StudyQuery => $"from={From:yyyy-MM-dd}&to={To:yyyy-MM-dd}";

    /// <summary>Writes <paramref name="sleepers"/> sleepers (at most 12) with <paramref name="nights"/> nights each.</summary>
    public static StudyNights Write(string dataDirectory, int sleepers = 12, int nights = 28, int seed = 18)
    {
        var today = TimeProvider.System.GetUtcNow().UtcDateTime.Date;
        var monday = today.AddDays(-63 - (((int)today.DayOfWeek + 6) % 7));
        var first = new DateTimeOffset(monday, TimeSpan.Zero);
        var random = new Random(seed);
        var store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = dataDirectory }));
        try
        {
            store.Migrate();
            var people = People.Take(Math.Clamp(sleepers, 1, People.Length)).ToList();
            for (var i = 0; i < people.Count; i++)
            {
                var (id, name, program, switches) = people[i];
                var switchDay = nights / 2;
                IReadOnlyList<ProgramEntry> programs = switches
                    ? [new(SleepProgram.Architect, null), new(SleepProgram.Companions, DateOnly.FromDateTime(first.AddDays(switchDay).UtcDateTime))]
                    : [new(program, null)];
                Assert.True(store.CreateSleeper(new Sleeper(id, name, null, programs), Audit(first, "sleeper-created", "*", null)), $"sleeper {id} exists already");
                var bed = $"bed-{i + 1:00}";
                var until = first.AddDays(nights + 1);
                var admitted = store.ApplyAdmission(new AdmissionChange(null, new Admission(0, Facility, bed, id, first.AddDays(-1), null), [Audit(first, "admit", Facility, bed)]));
                var changes = new List<NightChange>();
                for (var d = 0; d < nights; d++)
                {
                    var architect = (program == SleepProgram.Architect) && (!switches || d < switchDay);
                    changes.Add(Night(random, bed, first.AddDays(d).AddHours(21.5 + random.NextDouble() * 2), architect ? Architect(random) : Kind.Natural,
                        program == SleepProgram.Companions || (switches && d >= switchDay)));
                }

                store.WriteNights(changes, until);
                store.ApplyAdmission(new AdmissionChange(admitted with { To = until }, null, [Audit(until, "discharge", Facility, bed)]));
            }

            return new StudyNights([.. people.Select(p => (p.Id, p.Name))], DateOnly.FromDateTime(first.UtcDateTime), DateOnly.FromDateTime(first.AddDays(nights - 1).UtcDateTime));
        }
        finally
        {
            store.Dispose();
            SqliteConnection.ClearAllPools();
        }
    }

    private enum Kind
    {
        Natural,
        Light,
        Architect,
    }

    /// <summary>An Architect user's night: mostly with the Architect, off on about a third, a short session now and then.</summary>
    private static Kind Architect(Random random) => random.NextDouble() switch
    {
        < 0.3 => Kind.Natural,
        < 0.4 => Kind.Light,
        _ => Kind.Architect,
    };

    private static NightChange Night(Random random, string bed, DateTimeOffset lightsOff, Kind kind, bool companions)
    {
        var count = (int)((7.4 + random.NextDouble() * 1.2) * 120);
        var stimulated = new bool[count];
        var sessions = kind switch { Kind.Architect => 2 + random.Next(3), Kind.Light => 1, _ => 0 };
        for (var s = 0; s < sessions; s++)
        {
            var length = kind == Kind.Light ? 20 + random.Next(16) : 30 + random.Next(60);
            var at = 60 + random.Next(count - 120 - length);
            Array.Fill(stimulated, true, at, length);
        }

        var latency = (companions ? 8 : 14) * 2 + random.Next(30);
        var wakeChance = companions ? 0.004 : 0.007;
        var epochs = new List<ScoredEpoch>(count);
        var awakeFor = 0;
        var outFor = 0;
        for (var i = 0; i < count; i++)
        {
            if (awakeFor == 0 && outFor == 0 && i > latency)
            {
                if (random.NextDouble() < 0.0008)
                {
                    outFor = 6 + random.Next(8);
                }
                else if (random.NextDouble() < (stimulated[i] ? 0.35 : wakeChance))
                {
                    awakeFor = stimulated[i] ? 4 + random.Next(16) : 2 + random.Next(10);
                }
            }

            var state = outFor > 0 ? EpochState.OutOfBed : i < latency || awakeFor > 0 ? EpochState.Wake : EpochState.Sleep;
            outFor = Math.Max(0, outFor - 1);
            awakeFor = Math.Max(0, awakeFor - 1);
            var sleep = state == EpochState.Sleep;
            epochs.Add(new ScoredEpoch(i, lightsOff + (ScoredEpoch.Length * i), i * 30.0, state,
                sleep ? 0.86 + random.NextDouble() * 0.12 : state == EpochState.Wake ? 0.05 + random.NextDouble() * 0.25 : 0,
                state == EpochState.OutOfBed ? null : sleep ? random.Next(4) : 20 + random.Next(60),
                state == EpochState.OutOfBed ? null : sleep ? 53 + random.NextDouble() * 5 : 63 + random.NextDouble() * 7,
                state != EpochState.OutOfBed, stimulated[i], default));
        }

        var key = new NightKey(Facility, bed, lightsOff);
        var metrics = NightMetrics.Compute(epochs);
        var end = lightsOff + (ScoredEpoch.Length * count);
        IReadOnlyList<NightAssessment> assessments = metrics.StimulatedMin >= 90 && metrics.EfficiencyStimulated is < 0.4
            ? [new NightAssessment("architect-deprivation", lightsOff.AddHours(2), lightsOff.AddHours(3),
                $"Awake {100 * (1 - metrics.EfficiencyStimulated.Value):0} % of {metrics.StimulatedMin:0} stimulated minutes", null)]
            : [];
        return new NightChange(key, NightCalendar.NightOf(lightsOff, TimeZoneInfo.Utc), [.. epochs.Select(e => StoredEpoch.From(e, lightsOff))], metrics, assessments, end);
    }

    private static AuditEntry Audit(DateTimeOffset at, string action, string facility, string? bed) => new(0, at, null, facility, bed, null, action, "test", null);
}

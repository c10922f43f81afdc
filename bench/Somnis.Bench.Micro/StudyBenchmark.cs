using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

namespace Somnis.Bench.Micro;

/// <summary>
/// The study's answer over 500 sleepers × 90 finished nights (45,000 nights) in the embedded store, as <c>GET /api/study</c>
/// computes it: the store's query (first nights included), the sleepers' names, and the statistics. Target: under 1 s
/// (issue 18). Nights are stored with metrics and no epochs: the study never reads epochs.
/// </summary>
[MemoryDiagnoser]
public class StudyOverNights
{
    private const int Sleepers = 500;
    private const int NightsPerSleeper = 90;
    private static readonly DateTimeOffset First = new(2026, 1, 1, 22, 0, 0, TimeSpan.Zero);
    private string _dir = "";
    private SomnisStore? _store;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-study-").FullName;
        _store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        _store.Migrate();
        var random = new Random(18);
        var audit = new AuditEntry(0, First, null, "*", null, null, "sleeper-created", "bench", null);
        var changes = new List<NightChange>();
        for (var s = 0; s < Sleepers; s++)
        {
            var id = $"sleeper-{s:000}";
            var program = (s % 3) switch { 0 => SleepProgram.Architect, 1 => SleepProgram.Companions, _ => SleepProgram.Architect };
            _store.CreateSleeper(new Sleeper(id, $"Sleeper {s}", null, [new ProgramEntry(program, null)]), audit);
            var bed = $"bed-{s:000}";
            _store.ApplyAdmission(new AdmissionChange(null, new Admission(0, "nexus", bed, id, First.AddDays(-1), null), []));
            for (var n = 0; n < NightsPerSleeper; n++)
            {
                var start = First.AddDays(n).AddMinutes(random.Next(-60, 60));
                var stimulated = program == SleepProgram.Architect && random.NextDouble() < 0.6 ? random.Next(30, 240) : 0;
                var tst = 430 - (stimulated / 4.0) + random.Next(-40, 40);
                var metrics = new NightMetrics(480, tst, tst / 480, random.Next(5, 40), 480 - tst - 20, random.Next(1, 12), 4 / (tst / 60),
                    55 + random.NextDouble() * 8, 66, 0.12, stimulated, null, null, 7, tst < 420);
                changes.Add(new NightChange(new NightKey("nexus", bed, start), NightCalendar.NightOf(start, TimeZoneInfo.Utc), [], metrics, null, start.AddHours(8)));
            }

            if (changes.Count >= 5000)
            {
                _store.WriteNights(changes, First);
                changes.Clear();
            }
        }

        _store.WriteNights(changes, First);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public int Study()
    {
        var nights = _store!.StudyNights(new StudyQuery(new DateOnly(2026, 1, 1), new DateOnly(2026, 4, 30)));
        var names = _store.Sleepers().ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        return StudyReport.Compute(nights, names, new StudySettings(30, ExcludeFirstNight: true)).Nights;
    }
}

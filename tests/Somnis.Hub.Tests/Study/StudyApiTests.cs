using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;
using Somnis.Hub.Tests.Nights;
using Somnis.Hub.Tests.Sleepers;

namespace Somnis.Hub.Tests.Study;

/// <summary><c>GET /api/study</c> and <c>/api/study.csv</c> in the real hub, over nights written through the store seam.</summary>
public sealed class StudyApiTests() : SignedInHubTest
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    protected override Task Seed()
    {
        var sleepers = Hub.Services.GetRequiredService<ISleeperStore>();
        var nights = Hub.Services.GetRequiredService<INightStore>();
        // Architect users a, b, c: on Architect nights (stimulated 60 min) they sleep 40, 50 and 60 min less than on natural nights.
        // Companions d: natural nights only. Night 0 of everyone is their first night and is left out by default.
        var beds = new Dictionary<string, (SleepProgram Program, double Loss)>
        {
            ["a"] = (SleepProgram.Architect, 40), ["b"] = (SleepProgram.Architect, 50), ["c"] = (SleepProgram.Architect, 60), ["d"] = (SleepProgram.Companions, 0),
        };
        var bed = 0;
        foreach (var (id, (program, loss)) in beds)
        {
            Assert.True(sleepers.CreateSleeper(new Sleeper(id, $"Sleeper {id.ToUpperInvariant()}", null, [new ProgramEntry(program, null)]), Storage.TempStore.Audit("sleeper-created")));
            var b = $"bed-0{++bed}";
            sleepers.ApplyAdmission(new AdmissionChange(null, new Admission(0, "nexus", b, id, T0.AddDays(-1), null), []));
            for (var d = 0; d < 6; d++)
            {
                var architectNight = program == SleepProgram.Architect && d % 2 == 1;
                StoredNights.Write(nights, b, T0.AddDays(d), architectNight ? 430 - loss : 430, architectNight ? 60 : 0);
            }
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_study_answers_per_sleeper_pooled_and_by_cohort_with_sentences()
    {
        var study = await Tess.GetFromJsonAsync<JsonElement>("/api/study?from=2026-03-01&to=2026-03-31");
        Assert.Equal("2026-03-01", study.GetProperty("from").GetString());
        Assert.Equal("exclude", study.GetProperty("firstNight").GetString());
        Assert.Equal(30, study.GetProperty("minStimulatedMin").GetDouble());
        Assert.Equal(20, study.GetProperty("nights").GetInt32());
        var a = study.GetProperty("sleepers")[0];
        Assert.Equal(("a", "Sleeper A", 3, 2), (a.GetProperty("id").GetString(), a.GetProperty("name").GetString(),
            a.GetProperty("architectNights").GetInt32(), a.GetProperty("naturalNights").GetInt32()));
        Assert.Equal(-40, a.GetProperty("metrics").GetProperty("tstMin").GetProperty("diff").GetDouble());

        // Differences −40, −50, −60: mean −50, SD 10, SE 5.7735, t(0.975, 2) = 4.30265 → half 24.841 → CI [−74.841, −25.159], d_z −5.
        var tst = study.GetProperty("pooled").GetProperty("tstMin");
        Assert.Equal(-50, tst.GetProperty("diff").GetDouble());
        Assert.Equal([-74.841, -25.159], tst.GetProperty("ci95").EnumerateArray().Select(x => x.GetDouble()));
        Assert.Equal(3, tst.GetProperty("sleepers").GetInt32());
        Assert.Equal(-5, tst.GetProperty("effectSize").GetDouble());
        Assert.Equal("On Architect nights, 3 sleepers slept 50 min less than on their natural nights (95 % CI 25–75 min; 9 Architect and 6 natural nights).",
            study.GetProperty("sentences")[0].GetString());
        foreach (var key in new[] { "tstMin", "sleepEfficiency", "solMin", "wasoMin", "awakenings", "arousalIndex", "sleepingHr", "hrDip", "stimulatedMin" })
        {
            Assert.True(study.GetProperty("pooled").TryGetProperty(key, out _), key);
        }

        var cohorts = study.GetProperty("cohorts");
        Assert.Equal(1, cohorts.GetProperty("groups").GetProperty("companions").GetProperty("sleepers").GetInt32());
        Assert.Equal(3, cohorts.GetProperty("groups").GetProperty("architect").GetProperty("sleepers").GetInt32());
        Assert.StartsWith("Companions sleepers (1 sleeper, 5 nights) slept", cohorts.GetProperty("companionsMinusArchitect").GetProperty("tstMin").GetProperty("sentence").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_study_carries_what_its_page_plots_and_how_each_metric_is_said()
    {
        var study = await Tess.GetFromJsonAsync<JsonElement>("/api/study?from=2026-03-01&to=2026-03-31");
        // Nights 2–6 March (the first nights of 1 March left out): 2 March is a Monday, so all in one week.
        var weeks = study.GetProperty("weeks").EnumerateArray().ToList();
        Assert.Equal([("2026-03-02", "architect", 3, 15), ("2026-03-02", "companions", 1, 5)],
            weeks.Select(w => (w.GetProperty("week").GetString(), w.GetProperty("program").GetString(), w.GetProperty("sleepers").GetInt32(), w.GetProperty("nights").GetInt32())));
        // Architect users a, b, c that week: a has 3 Architect nights at 390 and 2 natural at 430 → 406; b 400; c 394 → mean 400.
        Assert.Equal(400, weeks[0].GetProperty("means").GetProperty("tstMin").GetDouble());
        var byProgram = study.GetProperty("byProgram");
        Assert.Equal(["a", "b", "c"], byProgram.GetProperty("architect").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(5, byProgram.GetProperty("companions")[0].GetProperty("nights").GetInt32());
        Assert.Equal(0, byProgram.GetProperty("none").GetArrayLength());
        Assert.Equal("architect", study.GetProperty("sleepers")[0].GetProperty("programs")[0].GetString());
        var efficiency = study.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("key").GetString() == "sleepEfficiency");
        Assert.Equal(("sleep efficiency", "points", "%", 100.0, 1), (efficiency.GetProperty("name").GetString(), efficiency.GetProperty("unit").GetString(),
            efficiency.GetProperty("levelUnit").GetString(), efficiency.GetProperty("scale").GetDouble(), efficiency.GetProperty("decimals").GetInt32()));
        Assert.Equal("min", study.GetProperty("metrics")[0].GetProperty("levelUnit").GetString());
    }

    [Fact]
    public async Task A_sleepers_trend_gives_each_night_with_the_debt_after_it()
    {
        var trend = await Tess.GetFromJsonAsync<JsonElement>("/api/sleepers/b/trend");
        Assert.Equal(7, trend.GetProperty("needHours").GetDouble());
        var nights = trend.GetProperty("nights").EnumerateArray().ToList();
        // b sleeps 430 min on natural nights (need 420: no debt) and 380 on Architect nights (1, 3, 5): 40 min more debt each,
        // paid back 10 min on the next natural night → 0, 0.667, 0.5, 1.167, 1, 1.667 h.
        Assert.Equal(6, nights.Count);
        Assert.Equal([0, 0.667, 0.5, 1.167, 1, 1.667], nights.Select(n => n.GetProperty("debtHours").GetDouble()));
        Assert.Equal(["2026-03-01", "2026-03-02"], nights.Take(2).Select(n => n.GetProperty("night").GetString()));
        Assert.Equal(380, nights[1].GetProperty("tstMin").GetDouble());
        Assert.Equal(60, nights[1].GetProperty("stimulatedMin").GetDouble());
        Assert.Equal("architect", nights[1].GetProperty("program").GetString());
        Assert.StartsWith("nexus/bed-02/", nights[1].GetProperty("ids")[0].GetString(), StringComparison.Ordinal);
        await SleepersApiTests.AssertProblem(await Tess.GetAsync(new Uri("/api/sleepers/nobody/trend", UriKind.Relative)), HttpStatusCode.NotFound, "no sleeper 'nobody'");
    }

    [Fact]
    public async Task Filters_narrow_the_nights_and_the_defaults_end_at_the_newest_night()
    {
        var all = await Tess.GetFromJsonAsync<JsonElement>("/api/study");
        Assert.Equal("2026-03-06", all.GetProperty("to").GetString());
        Assert.Equal("2025-12-07", all.GetProperty("from").GetString());
        Assert.Equal(24, (await Tess.GetFromJsonAsync<JsonElement>("/api/study?firstNight=include")).GetProperty("nights").GetInt32());
        Assert.Equal(5, (await Tess.GetFromJsonAsync<JsonElement>("/api/study?sleeper=b")).GetProperty("nights").GetInt32());
        Assert.Equal(5, (await Tess.GetFromJsonAsync<JsonElement>("/api/study?program=companions")).GetProperty("nights").GetInt32());
        Assert.Equal(0, (await Tess.GetFromJsonAsync<JsonElement>("/api/study?facility=elsewhere")).GetProperty("nights").GetInt32());
        Assert.Equal(8, (await Tess.GetFromJsonAsync<JsonElement>("/api/study?from=2026-03-02&to=2026-03-03")).GetProperty("nights").GetInt32());
    }

    [Fact]
    public async Task The_csv_has_one_line_per_sleeper()
    {
        var r = await Tess.GetAsync(new Uri("/api/study.csv?from=2026-03-01&to=2026-03-31", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/csv", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal("somnis-study-2026-03-01-2026-03-31.csv", r.Content.Headers.ContentDisposition!.FileNameStar ?? r.Content.Headers.ContentDisposition.FileName);
        var lines = (await r.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("sleeper,name,architectNights,naturalNights,otherNights,tstMinArchitect,tstMinNatural,tstMinDiff,", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("a,Sleeper A,3,2,0,390,430,-40,", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/study?from=2026-03-10&to=2026-03-01", 400, "is after to")]
    [InlineData("/api/study?from=2025-01-01&to=2026-03-01", 400, "at most 400")]
    [InlineData("/api/study?from=2026-02-30", 400, "from must be a date")]
    [InlineData("/api/study?to=yesterday", 400, "to must be a date")]
    [InlineData("/api/study?program=dreams", 400, "unknown program")]
    [InlineData("/api/study?facility=a%20b", 400, "not a facility id")]
    [InlineData("/api/study?firstNight=maybe", 400, "firstNight must be")]
    [InlineData("/api/study?sleeper=nobody", 404, "no sleeper 'nobody'")]
    [InlineData("/api/study.csv?from=2026-03-10&to=2026-03-01", 400, "is after to")]
    public async Task Bad_filters_are_refused_naming_the_problem(string path, int status, string mentions) =>
        await SleepersApiTests.AssertProblem(await Tess.GetAsync(new Uri(path, UriKind.Relative)), (HttpStatusCode)status, mentions);

    [Fact]
    public Task The_study_needs_a_signed_in_user() => AssertAnonymousRefused("/api/study", "/api/study.csv", "/api/sleepers/a/trend");

    [Fact]
    public void The_threshold_setting_is_validated()
    {
        Assert.True(new StudyOptionsValidator().Validate(null, new StudyOptions()).Succeeded);
        var bad = new StudyOptionsValidator().Validate(null, new StudyOptions { MinStimulated = TimeSpan.Zero });
        Assert.Contains("Study:MinStimulated must be between 00:01:00 and 12:00:00", bad.FailureMessage, StringComparison.Ordinal);
    }
}

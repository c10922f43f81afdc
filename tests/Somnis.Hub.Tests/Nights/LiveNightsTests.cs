using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Sleepers;

namespace Somnis.Hub.Tests.Nights;

/// <summary>
/// Nights of record on the hub's live path, in process: vitals through the ingestion pipeline, sleepers and admissions
/// through the API. The sleeper's debt follows them from bed to bed, alarms name them, a store that cannot be written
/// holds nothing up, and reports read the stored nights.
/// </summary>
public sealed class LiveNightsTests() : SignedInHubTest(Settings, s => s.AddSingleton<INightStore>(sp => new FlakyNightStore(sp.GetRequiredService<SomnisStore>())))
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Dashboard:TimeZone"] = "UTC",
        ["Storage:FlushInterval"] = "00:00:00",
        // A debt of a few hours raises acute-sleep-loss (its debt reason) at the next night's start.
        ["Detection:MaxDebtHours"] = "2",
    };

    private readonly Dictionary<string, long> _seq = [];

    protected override async Task Seed()
    {
        Feed("bed-01", T0.AddHours(-1), TimeSpan.FromSeconds(10), inBed: false);
        Feed("bed-02", T0.AddHours(-1), TimeSpan.FromSeconds(10), inBed: false);
        Assert.Equal(HttpStatusCode.Created, (await Sam.PostAsJsonAsync("/api/sleepers", new { id = "ada", name = "Ada Lovelace", program = "architect" })).StatusCode);
    }

    /// <summary>Intervals of 10 s ending from <paramref name="from"/> + 10 s on: a still sleeper in bed, or an empty bed.</summary>
    private void Feed(string bed, DateTimeOffset from, TimeSpan length, bool inBed = true)
    {
        var pipeline = Hub.Services.GetRequiredService<IngestionPipeline>();
        for (var t = from.AddSeconds(10); t <= from + length; t = t.AddSeconds(10))
        {
            var seq = _seq[bed] = _seq.GetValueOrDefault(bed) + 1;
            var m = new VitalsMessage
            {
                Bed = bed, Seq = seq, Ts = t, IntervalSeconds = 10, HeartRate = inBed ? 55 : null, RespirationRate = inBed ? 13 : null,
                ActivityCount = 0, BedPresence = inBed, SignalQuality = 1,
            };
            Assert.Null(pipeline.Process($"somnis/nexus/beds/{bed}/vitals", new ReadOnlySequence<byte>(JsonSerializer.SerializeToUtf8Bytes(m, SomnisJsonContext.Default.VitalsMessage))));
        }
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token).ContinueWith(t => Assert.False(t.IsCanceled, $"timed out waiting for {what}"));
        }
    }

    private Task<JsonElement> Night(string bed) => Tess.GetFromJsonAsync<JsonElement>($"/api/beds/{bed}/night")!;

    [Fact]
    public async Task Debt_follows_a_sleeper_transferred_between_beds_and_the_alarm_names_them()
    {
        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada", from = T0.AddMinutes(-30) })).StatusCode);
        var tile = (await Tess.GetFromJsonAsync<JsonElement[]>("/api/beds"))!.Single(b => b.GetProperty("id").GetString() == "bed-01");
        Assert.Equal(("ada", "Ada Lovelace"), (tile.GetProperty("sleeper").GetProperty("id").GetString(), tile.GetProperty("sleeper").GetProperty("name").GetString()));

        // Night 1 in bed-01: an hour in bed, then the bed is silent until after the night gap: the night ends.
        Feed("bed-01", T0, TimeSpan.FromHours(1));
        Feed("bed-01", T0.AddHours(3), TimeSpan.FromSeconds(10), inBed: false);
        // The night is over at once (the live tracker, the debt); its past-night entry is read from the store, so it shows once
        // the night writer has written the end.
        var first = await Eventually(() => Night("bed-01"), n => n.GetProperty("pastNights").GetArrayLength() > 0, "the ended night to be stored");
        Assert.Equal(JsonValueKind.Null, first.GetProperty("nightStart").ValueKind);
        var pastAtBed1 = Assert.Single(first.GetProperty("pastNights").EnumerateArray());
        var tst = pastAtBed1.GetProperty("metrics").GetProperty("totalSleepMin").GetDouble();
        var debt = 7 - (tst / 60);
        Assert.InRange(tst, 20, 60);
        Assert.Equal(debt, first.GetProperty("debtHours").GetDouble(), 3);

        // The sleeper moves to bed-02 for the next evening; bed-01 is nobody's now, and owes nothing.
        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-02/admit", new { sleeper = "ada", transfer = true, from = T0.AddHours(20) })).StatusCode);
        var empty = await Night("bed-01");
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("sleeper").ValueKind);
        Assert.Equal(0, empty.GetProperty("debtHours").GetDouble());
        Assert.Empty(empty.GetProperty("pastNights").EnumerateArray());

        Feed("bed-02", T0.AddHours(24), TimeSpan.FromMinutes(90));
        var second = await Night("bed-02");
        Assert.Equal("ada", second.GetProperty("sleeper").GetProperty("id").GetString());
        Assert.Equal(debt, second.GetProperty("debtHours").GetDouble(), 3);
        var past = Assert.Single(second.GetProperty("pastNights").EnumerateArray());
        Assert.Equal(("bed-01", debt), (past.GetProperty("bed").GetString(), Math.Round(past.GetProperty("debtHours").GetDouble(), 3)));
        Assert.StartsWith("nexus/bed-02/", second.GetProperty("nightId").GetString(), StringComparison.Ordinal);

        // acute-sleep-loss on bed-02 for the debt carried over from bed-01, naming the sleeper.
        var alarms = await Tess.GetFromJsonAsync<JsonElement[]>("/api/alarms?bed=bed-02&type=acute-sleep-loss");
        var alarm = Assert.Single(alarms!);
        Assert.Equal("debt", alarm.GetProperty("evidence").GetProperty("reason").GetString());
        Assert.True(alarm.GetProperty("evidence").GetProperty("debtHours").GetDouble() > 2);
        Assert.Equal("Ada Lovelace", alarm.GetProperty("sleeper").GetProperty("name").GetString());

        // The stored nights say the same once written.
        await Eventually(() => Tess.GetFromJsonAsync<JsonElement>("/api/sleepers/ada"), s => s.GetProperty("debt").GetProperty("nights").GetInt32() == 1, "the night to be stored");
        var sleeper = await Tess.GetFromJsonAsync<JsonElement>("/api/sleepers/ada");
        Assert.Equal(Math.Round(debt, 3), sleeper.GetProperty("debt").GetProperty("hours").GetDouble());
    }

    [Fact]
    public async Task While_the_store_cannot_be_written_nights_are_scored_live_readiness_says_so_and_the_queue_is_written_when_it_returns()
    {
        var flaky = (FlakyNightStore)Hub.Services.GetRequiredService<INightStore>();
        Feed("bed-01", T0, TimeSpan.FromHours(1));
        var id = (await Night("bed-01")).GetProperty("nightId").GetString()!;
        await Eventually(() => Tess.GetAsync(new Uri($"/api/nights/{id}", UriKind.Relative)), r => r.IsSuccessStatusCode, "the night's start to be stored");

        flaky.Failing = true;
        var before = (await Night("bed-01")).GetProperty("epochs").GetArrayLength();
        Feed("bed-01", T0.AddHours(1), TimeSpan.FromHours(1));
        var during = (await Night("bed-01")).GetProperty("epochs").GetArrayLength();
        Assert.Equal(before + 120, during);
        using var anonymous = Hub.CreateClient();
        var ready = await Eventually(() => anonymous.GetAsync(new Uri("/readyz", UriKind.Relative)), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to show the failing store");
        var checks = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("nights").GetProperty("status").GetString());
        Assert.Contains("night writes failing: disk full", checks.GetProperty("nights").GetProperty("description").GetString(), StringComparison.Ordinal);

        flaky.Failing = false;
        var stored = await Eventually(() => Tess.GetFromJsonAsync<JsonElement>($"/api/nights/{id}"), n => n.GetProperty("epochs").GetArrayLength() == during, "the queued epochs to be written");
        Assert.True(stored.GetProperty("night").GetProperty("inProgress").GetBoolean());
        await Eventually(() => anonymous.GetAsync(new Uri("/readyz", UriKind.Relative)), r => r.IsSuccessStatusCode, "readiness back");
    }

    [Fact]
    public async Task A_night_report_lists_the_stored_nights_of_its_date_with_their_identity_and_sleeper()
    {
        // Nights of record of a bed the hub has not heard from since it started: one of ada's, one nobody's.
        var evening = new DateTimeOffset(2026, 2, 20, 21, 0, 0, TimeSpan.Zero);
        var store = Hub.Services.GetRequiredService<SomnisStore>();
        store.ApplyAdmission(new Somnis.Hub.Sleepers.AdmissionChange(null, new Somnis.Hub.Sleepers.Admission(0, "nexus", "bed-05", "ada", evening.AddHours(-1), evening.AddHours(10)),
            [Storage.TempStore.Audit("admit", "nexus", "bed-05")]));
        var key = StoredNights.Write(store, "bed-05", evening, 330, 40,
            assessments: [new NightAssessment("architect-deprivation", evening.AddHours(2), evening.AddHours(3), "kept awake", null)]);
        StoredNights.Write(store, "bed-06", evening.AddMinutes(30), 420, 0);
        // As a restart would find them (nights the live path ends count at once; these were written behind its back).
        Hub.Services.GetRequiredService<Somnis.Hub.Sleepers.SleeperLedger>().Load();

        var report = await Tess.GetFromJsonAsync<NightReport>("/api/reports/night.json?date=2026-02-20");
        Assert.Equal(["bed-05", "bed-06"], report!.Rows.Select(r => r.Bed));
        var row = report.Rows[0];
        Assert.Equal((key.Id, "ada", "Ada Lovelace", false), (row.Id, row.Sleeper!.Id, row.Sleeper.Name, row.InProgress));
        Assert.Equal((330.0, evening), (row.TotalSleepMin, row.LightsOff));
        Assert.Equal(["architect-deprivation: kept awake"], row.Assessments);
        Assert.Equal(1.5, row.DebtHours);
        Assert.Null(report.Rows[1].Sleeper);
        Assert.Equal(key.Id, (await Tess.GetFromJsonAsync<NightReport>("/api/reports/night.json?date=2026-02-20&bed=bed-05"))!.Rows.Single().Id);
        var csv = (await Tess.GetStringAsync(new Uri("/api/reports/night?date=2026-02-20", UriKind.Relative))).Split("\r\n");
        Assert.Contains(",sleep_debt_h,sleeper_id,sleeper,assessments,", csv[0], StringComparison.Ordinal);
        Assert.Contains(",1.5,ada,Ada Lovelace,architect-deprivation: kept awake,", csv[1], StringComparison.Ordinal);

        // The night itself, with its hypnogram, from the identity the report gives.
        var night = await Tess.GetFromJsonAsync<JsonElement>($"/api/nights/{row.Id}");
        Assert.Equal(3, night.GetProperty("epochs").GetArrayLength());
    }
}

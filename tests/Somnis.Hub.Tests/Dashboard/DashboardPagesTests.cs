using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Dashboard;

/// <summary>The dashboard's API (layout, sparklines, assessments, night reports, OpenAPI) through the hub's HTTP stack.</summary>
public sealed class DashboardPagesTests
{
    // 22:00 CET on the Saturday before clocks go forward in Berlin.
    private static readonly DateTimeOffset LightsOff = new(2026, 3, 28, 21, 0, 0, TimeSpan.Zero);

    private static HubFactory Hub() => new(new()
    {
        ["Dashboard:TimeZone"] = "Europe/Berlin",
        ["Dashboard:Layout:0:Name"] = "North ward",
        ["Dashboard:Layout:0:Beds:0"] = "bed-0*",
        ["Dashboard:DefaultWard"] = "South ward",
    });

    private static HttpClient Client(HubFactory hub, string user = "tess")
    {
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic(user);
        return client;
    }

    private static void Feed(HubFactory hub, string bed, int count)
    {
        var pipeline = hub.Services.GetRequiredService<IngestionPipeline>();
        for (var i = 1; i <= count; i++)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(SomnisStoreTests.Vitals(bed, i, LightsOff.AddSeconds(10 * i)), SomnisJsonContext.Default.VitalsMessage);
            Assert.Null(pipeline.Process($"somnis/nexus/beds/{bed}/vitals", new ReadOnlySequence<byte>(json)));
        }
    }

    [Fact]
    public async Task Layout_serves_the_time_zone_and_wards()
    {
        await using var hub = Hub();
        using var client = Client(hub, "sam");
        var layout = await client.GetFromJsonAsync<DashboardLayout>("/api/layout");
        Assert.Equal("Europe/Berlin", layout!.TimeZone);
        Assert.Equal("South ward", layout.DefaultWard);
        Assert.Equal(("North ward", "bed-0*"), (layout.Wards[0].Name, layout.Wards[0].Beds[0]));
    }

    [Fact]
    public async Task Night_report_csv_names_the_night_by_its_local_evening_across_the_dst_change()
    {
        await using var hub = Hub();
        using var client = Client(hub);
        Feed(hub, "bed-07", 180);
        Feed(hub, "bed-12", 180);

        var response = await client.GetAsync(new Uri("/api/reports/night?date=2026-03-28", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("somnis-night-2026-03-28-facility.csv", response.Content.Headers.ContentDisposition!.FileName);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', NightReports.CsvHeader), lines[0]);
        Assert.Equal(3, lines.Length);
        var row = lines[1].Split(',');
        // Local time with the CET offset; bed-0* is the North ward, the rest the default ward.
        Assert.Equal(["2026-03-28", "bed-07", "nexus", "North ward", "2026-03-28T22:00:00+01:00"], row[..5]);
        Assert.StartsWith("2026-03-28,bed-12,nexus,South ward,", lines[2], StringComparison.Ordinal);
        Assert.Equal("true", row[6]);
        Assert.True(double.Parse(row[7], System.Globalization.CultureInfo.InvariantCulture) > 0, "time in bed");

        // The night before and after hold nothing; the default is the newest night.
        var before = await client.GetStringAsync(new Uri("/api/reports/night?date=2026-03-27&bed=bed-07", UriKind.Relative));
        Assert.Single(before.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        var json = await client.GetFromJsonAsync<NightReport>("/api/reports/night.json?bed=bed-07");
        Assert.Equal((new DateOnly(2026, 3, 28), "bed-07"), (json!.Night, json.Rows.Single().Bed));
        Assert.Equal(TimeSpan.FromHours(23), json.To - json.From);
    }

    [Fact]
    public async Task Night_report_lists_the_night_alarms_and_who_acted_on_them_per_sleeper_and_for_the_facility()
    {
        await using var hub = Hub();
        using var tess = Client(hub);
        using var sam = Client(hub, "sam");
        Feed(hub, "bed-07", 180);
        var engine = hub.Services.GetRequiredService<AlarmEngine>();
        // During the night of 28 March (device time): a deprivation on bed-07, a data gap on bed-30 (no night of its own);
        // and one from the night before, which neither report may list.
        engine.OnAssessment(new AssessmentUpdate(AlarmTypes.ArchitectDeprivation, "nexus", "bed-07", true, LightsOff.AddMinutes(20), "kept awake 80 %", null));
        engine.ReportDataGap("nexus", "bed-30", true, LightsOff.AddMinutes(25), "seq 10-42 lost");
        engine.ReportDataGap("nexus", "bed-31", true, LightsOff.AddDays(-1), "seq 1-2 lost");
        var deprivation = engine.Open().Single(a => a.Type == AlarmTypes.ArchitectDeprivation);

        Assert.Equal(HttpStatusCode.OK, (await tess.PostAsJsonAsync($"/api/alarms/{deprivation.Id}/ack", new { comment = "went to see" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tess.PostAsJsonAsync($"/api/alarms/{deprivation.Id}/comment", new { text = "sleeper calm" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await sam.PostAsJsonAsync("/api/beds/bed-07/architect/pause", new { reason = "deprivation" })).StatusCode);

        var bed = await tess.GetFromJsonAsync<NightReport>("/api/reports/night.json?date=2026-03-28&bed=bed-07");
        var alarm = Assert.Single(bed!.Alarms);
        Assert.Equal((deprivation.Id, "bed-07", "high", "active-acknowledged", "tess"), (alarm.Id, alarm.Bed, alarm.Priority, alarm.State, alarm.AckedBy));
        Assert.Equal(
            [("acknowledged", "tess", "architect-deprivation"), ("commented", "tess", "architect-deprivation"), ("architect-pause-requested", "sam", null)],
            bed.Actions.Select(x => (x.Action, x.Actor, x.AlarmType)));
        Assert.Equal("sleeper calm", bed.Actions[1].Detail);

        var lines = (await tess.GetStringAsync(new Uri("/api/reports/night?date=2026-03-28", UriKind.Relative))).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",assessments,alarms,actions", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
        var bed07 = lines.Single(l => l.StartsWith("2026-03-28,bed-07,", StringComparison.Ordinal));
        Assert.Contains("2026-03-28T22:20:00+01:00 high architect-deprivation (active-acknowledged): kept awake 80 %", bed07, StringComparison.Ordinal);
        Assert.Matches(@"T\d\d:\d\d:\d\d[+-]\d\d:\d\d tess acknowledged architect-deprivation: after [\d.]+ s: went to see \| [^|]+ tess commented architect-deprivation: sleeper calm \| [^|]+ sam architect-pause-requested: command \w+: deprivation""?$", bed07);
        // bed-30 has no night row: its line has the alarm and empty metrics; bed-31's gap belongs to the night before.
        var bed30 = lines.Single(l => l.StartsWith("2026-03-28,bed-30,nexus,South ward,,,", StringComparison.Ordinal));
        Assert.Contains("low data-gap (active-unacknowledged): seq 10-42 lost", bed30, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("bed-31", StringComparison.Ordinal));
        Assert.Equal(NightReports.CsvHeader.Length, lines[2].Split(',').Length);
    }

    [Theory]
    [InlineData("/api/reports/night?date=28.03.2026", HttpStatusCode.BadRequest)]
    [InlineData("/api/reports/night?date=2026-02-30", HttpStatusCode.BadRequest)]
    [InlineData("/api/reports/night?bed=bed-99", HttpStatusCode.NotFound)]
    [InlineData("/api/reports/night.json?bed=bed-99", HttpStatusCode.NotFound)]
    public async Task Bad_report_requests_get_a_clear_error(string path, HttpStatusCode status)
    {
        await using var hub = Hub();
        using var client = Client(hub);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Sparklines_and_assessments_cover_every_bed()
    {
        await using var hub = Hub();
        using var client = Client(hub);
        Feed(hub, "bed-07", 180);
        var sparks = await client.GetFromJsonAsync<List<Sparkline>>("/api/sparklines");
        var s = Assert.Single(sparks!);
        Assert.Equal(("bed-07", LightsOff.AddSeconds(0), 10), (s.Bed, s.NightStart, s.BucketMinutes));
        Assert.NotEmpty(s.PSleep);
        Assert.All(s.PSleep, v => Assert.InRange(v, -1, 100));
        Assert.NotNull(await client.GetFromJsonAsync<JsonElement[]>("/api/assessments"));
    }

    [Fact]
    public async Task Json_history_is_compressed_but_the_live_feed_is_not()
    {
        await using var hub = Hub();
        using var client = Client(hub);
        Feed(hub, "bed-07", 60);
        client.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");
        var json = await client.GetAsync(new Uri("/api/beds/bed-07/night", UriKind.Relative));
        Assert.Equal("gzip", Assert.Single(json.Content.Headers.ContentEncoding));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var events = await client.GetAsync(new Uri("/api/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType!.MediaType);
        Assert.All(events.Content.Headers.ContentEncoding, e => Assert.Equal("identity", e));
    }

    [Theory]
    [InlineData("/api/layout")]
    [InlineData("/api/sparklines")]
    [InlineData("/api/assessments")]
    [InlineData("/api/reports/night")]
    public async Task Dashboard_api_needs_a_signed_in_user(string path)
    {
        await using var hub = Hub();
        using var client = hub.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_is_served_to_signed_in_users_only_and_describes_the_endpoints()
    {
        await using var hub = Hub();
        using var anonymous = hub.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var refused = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/login", refused.Headers.Location!.ToString(), StringComparison.Ordinal);

        using var client = Client(hub);
        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/api/beds", "/api/beds/{id}/night", "/api/beds/{id}/vitals", "/api/layout", "/api/reports/night", "/api/events" })
        {
            Assert.True(paths.TryGetProperty(path, out var p), path);
            Assert.False(string.IsNullOrEmpty(p.EnumerateObject().First().Value.GetProperty("summary").GetString()), path + " summary");
        }

        Assert.True(paths.GetProperty("/api/reports/night").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/csv", out _));
    }
}

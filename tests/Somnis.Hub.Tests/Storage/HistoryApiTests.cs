using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

public sealed class HistoryApiTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await probe() is { } v)
            {
                return v;
            }

            if (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Ingested_vitals_are_read_back_by_time_range()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        var pipeline = hub.Services.GetRequiredService<IngestionPipeline>();
        for (var i = 1; i <= 30; i++)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(SomnisStoreTests.Vitals("bed-07", i, T0.AddSeconds(10 * i)), SomnisJsonContext.Default.VitalsMessage);
            Assert.Null(pipeline.Process("somnis/nexus/beds/bed-07/vitals", new ReadOnlySequence<byte>(json)));
        }

        var all = await PollAsync(
            async () => await client.GetFromJsonAsync<VitalsHistory>("/api/beds/bed-07/vitals") is { Points.Count: 30 } h ? h : null,
            "30 stored vitals");
        Assert.Equal(("bed-07", "nexus", T0.AddSeconds(300), false), (all.Bed, all.Facility, all.To, all.Truncated));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), all.Points.Select(p => p.Seq));

        var from = Uri.EscapeDataString(T0.AddSeconds(100).ToString("o"));
        var to = Uri.EscapeDataString(T0.AddSeconds(200).ToString("o"));
        var range = await client.GetFromJsonAsync<VitalsHistory>($"/api/beds/bed-07/vitals?facility=nexus&from={from}&to={to}");
        Assert.Equal(Enumerable.Range(10, 11).Select(i => (long)i), range!.Points.Select(p => p.Seq));

        var page = await client.GetFromJsonAsync<VitalsHistory>($"/api/beds/bed-07/vitals?from={from}&limit=5");
        Assert.Equal((5, true), (page!.Points.Count, page.Truncated));
    }

    [Theory]
    [InlineData("/api/beds/bed-07/vitals?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", HttpStatusCode.BadRequest)]
    [InlineData("/api/beds/bed-07/vitals?from=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/api/beds/bed-07/vitals?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/beds/bed-07/vitals?limit=50001", HttpStatusCode.BadRequest)]
    [InlineData("/api/beds/nobody/vitals", HttpStatusCode.NotFound)]
    public async Task Bad_requests_are_refused_with_a_status(string path, HttpStatusCode expected)
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        Assert.Equal(expected, (await client.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_live_bed_without_stored_vitals_gets_an_empty_history()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        var status = JsonSerializer.SerializeToUtf8Bytes(new StatusMessage { Bed = "bed-09", Ts = T0, Mode = "simulated", Software = "t" }, SomnisJsonContext.Default.StatusMessage);
        Assert.Null(hub.Services.GetRequiredService<IngestionPipeline>().Process("somnis/nexus/beds/bed-09/status", new ReadOnlySequence<byte>(status)));

        var history = await client.GetFromJsonAsync<VitalsHistory>("/api/beds/bed-09/vitals");
        Assert.Equal(("nexus", 0, false), (history!.Facility, history.Points.Count, history.Truncated));
        Assert.Equal(TimeSpan.FromHours(24), history.To - history.From);
    }

    [Fact]
    public async Task History_needs_a_signed_in_user()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/beds/bed-07/vitals", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Readiness_includes_the_store()
    {
        await using var hub = new HubFactory();
        var check = hub.Services.GetServices<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().Single();
        var report = await PollAsync(
            async () => await check.CheckHealthAsync(c => c.Tags.Contains("ready")) is { Status: Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy } r ? r : null,
            "the hub to be ready");
        Assert.Contains("store", report.Entries.Keys);
        Assert.Contains("broker", report.Entries.Keys);
    }
}

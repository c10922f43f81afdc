using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Tests.Sleepers;

namespace Somnis.Hub.Tests.Nights;

/// <summary>Nights of record through HTTP in the real hub, and the night writer in <c>/readyz</c>.</summary>
public sealed class NightsApiTests() : SignedInHubTest
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    protected override Task Seed()
    {
        var sleepers = Hub.Services.GetRequiredService<ISleeperStore>();
        sleepers.CreateSleeper(new Sleeper("ada", "Ada", null, [new ProgramEntry(SleepProgram.Architect, null)]), Storage.TempStore.Audit("sleeper-created"));
        sleepers.ApplyAdmission(new AdmissionChange(null, new Admission(0, "nexus", "bed-01", "ada", T0.AddDays(-1), null), []));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_sleepers_nights_come_newest_first_with_metrics_architect_minutes_and_assessments()
    {
        var nights = Hub.Services.GetRequiredService<INightStore>();
        StoredNights.Write(nights, "bed-01", T0, 400, 0);
        StoredNights.Write(nights, "bed-01", T0.AddDays(1), 350, 75,
            assessments: [new NightAssessment(AssessmentTypes.ArchitectDeprivation, T0.AddDays(1).AddHours(2), T0.AddDays(1).AddHours(3), "kept awake", null)]);

        var list = await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers/ada/nights");
        Assert.Equal(2, list!.Length);
        var newest = list[0];
        Assert.Equal(T0.AddDays(1), newest.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(T0.AddDays(1).AddHours(8), newest.GetProperty("end").GetDateTimeOffset());
        Assert.Equal(("bed-01", "architect", "2026-03-02"), (newest.GetProperty("bed").GetString(), newest.GetProperty("program").GetString(), newest.GetProperty("nightDate").GetString()));
        Assert.Equal(75, newest.GetProperty("architectMin").GetDouble());
        Assert.Equal(350, newest.GetProperty("metrics").GetProperty("totalSleepMin").GetDouble());
        Assert.Equal("architect-deprivation", newest.GetProperty("assessments")[0].GetProperty("type").GetString());
        Assert.False(newest.GetProperty("inProgress").GetBoolean());
        Assert.Single((await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers/ada/nights?limit=1"))!);
        Assert.Single((await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers/ada/nights?before=2026-03-02T12:00:00Z"))!);

        var detail = await Tess.GetFromJsonAsync<JsonElement>($"/api/nights/nexus/bed-01/{T0.ToUnixTimeMilliseconds()}");
        Assert.Equal(3, detail.GetProperty("epochs").GetArrayLength());
        Assert.Equal("wake", detail.GetProperty("epochs")[0].GetProperty("state").GetString());
        Assert.Equal(T0.AddSeconds(30), detail.GetProperty("epochs")[1].GetProperty("start").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("/api/sleepers/nobody/nights", HttpStatusCode.NotFound, "no sleeper 'nobody'")]
    [InlineData("/api/sleepers/ada/nights?limit=0", HttpStatusCode.BadRequest, "limit must be between 1 and 1000")]
    [InlineData("/api/sleepers/ada/nights?before=soon", HttpStatusCode.BadRequest, "is not a time")]
    [InlineData("/api/nights/nexus/bed-01/123", HttpStatusCode.NotFound, "no night 'nexus/bed-01/123'")]
    public async Task Bad_requests_are_refused(string path, HttpStatusCode status, string mentions) =>
        await SleepersApiTests.AssertProblem(await Tess.GetAsync(new Uri(path, UriKind.Relative)), status, mentions);

    [Fact]
    public async Task Readiness_shows_the_night_writer()
    {
        await AssertAnonymousRefused("/api/sleepers/ada/nights", $"/api/nights/nexus/bed-01/{T0.ToUnixTimeMilliseconds()}");
        using var anonymous = Hub.CreateClient();
        var ready = await anonymous.GetFromJsonAsync<JsonElement>("/readyz");
        var check = ready.GetProperty("checks").GetProperty("nights");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal(0, check.GetProperty("queued").GetDouble());
    }
}

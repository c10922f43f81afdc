using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Beds;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The alarm API in the real hub (embedded broker, embedded store): role checks and bad input.</summary>
public sealed class AlarmsApiTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();
    private HttpClient _tess = null!;
    private HttpClient _sam = null!;
    private AlarmEngine _engine = null!;

    public Task InitializeAsync()
    {
        _tess = _hub.CreateClient();
        _tess.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        _sam = _hub.CreateClient();
        _sam.DefaultRequestHeaders.Authorization = HubFactory.Basic("sam");
        _engine = _hub.Services.GetRequiredService<AlarmEngine>();
        var beds = _hub.Services.GetRequiredService<BedRegistry>();
        beds.ApplyStatus("nexus", new StatusMessage { Bed = "bed-02", Seq = 0, Ts = AlarmEngineTests.T0, Mode = "simulated", Software = "test" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _tess.Dispose();
        _sam.Dispose();
        await _hub.DisposeAsync();
    }

    private Alarm Raise(string type = AlarmTypes.DataGap)
    {
        if (type == AlarmTypes.DataGap)
        {
            _engine.ReportDataGap("nexus", "bed-02", true, AlarmEngineTests.T0, "seq 10–42 missing");
        }
        else
        {
            _engine.OnAssessment(new Somnis.Hub.Detection.AssessmentUpdate(type, "nexus", "bed-02", true, AlarmEngineTests.T0, "held", null));
        }

        return _engine.Open().Single(a => a.Type == type);
    }

    private async Task<int> AuditCount(string id) =>
        (await _tess.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={id}"))!.Length;

    private static async Task AssertProblem(HttpResponseMessage r, HttpStatusCode status)
    {
        Assert.Equal(status, r.StatusCode);
        var problem = await r.Content.ReadFromJsonAsync<ProblemDetails>();
        Assert.False(string.IsNullOrWhiteSpace(problem!.Detail));
    }

    [Fact]
    public async Task Alarms_need_a_signed_in_user()
    {
        using var anonymous = _hub.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/alarms", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/audit", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task List_filter_ack_comment_and_audit()
    {
        var a = Raise();
        var list = await _tess.GetFromJsonAsync<JsonElement[]>("/api/alarms?state=active-unacknowledged&type=data-gap&bed=bed-02&priority=low");
        Assert.Equal(a.Id, Assert.Single(list!).GetProperty("id").GetString());
        Assert.Empty((await _tess.GetFromJsonAsync<JsonElement[]>("/api/alarms?priority=high"))!);

        var ack = await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/ack", new { comment = "gap seen" });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        Assert.Equal("active-acknowledged", (await ack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/comment", new { text = "asked IT" })).StatusCode);
        var audit = await _tess.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={a.Id}");
        Assert.Equal(["raised", "acknowledged", "commented"], audit!.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("tess", audit![1].GetProperty("actor").GetString());

        var kpis = await _tess.GetFromJsonAsync<JsonElement[]>("/api/alarms/kpis?facility=nexus");
        Assert.Equal(1, kpis![0].GetProperty("annunciations").GetInt32());
    }

    [Theory]
    [InlineData("/api/alarms?state=bogus")]
    [InlineData("/api/alarms?type=bogus")]
    [InlineData("/api/alarms?priority=urgent")]
    [InlineData("/api/alarms?limit=0")]
    [InlineData("/api/audit?limit=0")]
    public async Task Bad_filters_get_400(string path) =>
        await AssertProblem(await _tess.GetAsync(new Uri(path, UriKind.Relative)), HttpStatusCode.BadRequest);

    [Fact]
    public async Task Unknown_alarm_gets_404_and_cleared_alarm_409()
    {
        await AssertProblem(await _tess.PostAsJsonAsync("/api/alarms/nope/ack", new { }), HttpStatusCode.NotFound);
        var a = Raise();
        await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/ack", new { });
        _engine.ReportDataGap("nexus", "bed-02", false, AlarmEngineTests.T0.AddMinutes(1), "complete");
        var before = await AuditCount(a.Id);
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/ack", new { }), HttpStatusCode.Conflict);
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "x", minutes = 5 }), HttpStatusCode.Conflict);
        Assert.Equal(before, await AuditCount(a.Id));
    }

    [Fact]
    public async Task Shelving_needs_a_reason_and_a_bounded_time()
    {
        var a = Raise();
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { minutes = 30 }), HttpStatusCode.BadRequest);
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "noisy" }), HttpStatusCode.BadRequest);
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "noisy", minutes = 100000 }), HttpStatusCode.BadRequest);
        Assert.Equal(1, await AuditCount(a.Id));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, _engine.Find(a.Id)!.State);
        var ok = await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "noisy", minutes = 30 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(AlarmStates.Shelved, _engine.Find(a.Id)!.State);
        Assert.Equal(HttpStatusCode.OK, (await _tess.PostAsync(new Uri($"/api/alarms/{a.Id}/unshelve", UriKind.Relative), null)).StatusCode);
    }

    [Fact]
    public async Task Technician_cannot_shelve_high_priority_but_a_supervisor_can()
    {
        var a = Raise(AlarmTypes.ArchitectDeprivation);
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "checked", minutes = 10 }), HttpStatusCode.Forbidden);
        Assert.Equal(1, await AuditCount(a.Id));
        Assert.Equal(HttpStatusCode.OK, (await _sam.PostAsJsonAsync($"/api/alarms/{a.Id}/shelve", new { reason = "checked", minutes = 10 })).StatusCode);
    }

    [Fact]
    public async Task The_hub_sends_what_it_decided_whether_an_alarm_sounds_is_annunciated_its_rank_and_who_may_shelve_it()
    {
        async Task<(bool Sounding, bool Annunciated, int Rank, bool SupervisorShelves)> Get(string id)
        {
            var a = await _tess.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
            return (a.GetProperty("sounding").GetBoolean(), a.GetProperty("annunciated").GetBoolean(), a.GetProperty("rank").GetInt32(),
                a.GetProperty("shelvingNeedsSupervisor").GetBoolean());
        }

        var high = Raise(AlarmTypes.ArchitectDeprivation);
        var low = Raise();
        Assert.Equal((true, true, 3, true), await Get(high.Id));
        Assert.Equal((false, true, 1, false), await Get(low.Id));

        // Acknowledged: still annunciated (shown on its own), no longer sounding. Shelved: neither.
        Assert.Equal(HttpStatusCode.OK, (await _tess.PostAsJsonAsync($"/api/alarms/{high.Id}/ack", new { comment = (string?)null })).StatusCode);
        Assert.Equal((false, true, 3, true), await Get(high.Id));
        Assert.Equal(HttpStatusCode.OK, (await _tess.PostAsJsonAsync($"/api/alarms/{low.Id}/shelve", new { reason = "checked", minutes = 10 })).StatusCode);
        Assert.Equal((false, false, 1, false), await Get(low.Id));
    }

    [Fact]
    public async Task Assign_accepts_only_users_of_the_hub()
    {
        var a = Raise();
        await AssertProblem(await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/assign", new { to = "mallory" }), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await _tess.PostAsJsonAsync($"/api/alarms/{a.Id}/assign", new { to = "sam" })).StatusCode);
    }

    [Fact]
    public void Refused_actions_map_to_their_http_statuses()
    {
        Assert.Equal(404, AlarmsApi.StatusOf(new ActionOutcome.NotFound("no alarm")));
        Assert.Equal(400, AlarmsApi.StatusOf(new ActionOutcome.Invalid("no reason")));
        Assert.Equal(403, AlarmsApi.StatusOf(new ActionOutcome.Forbidden("supervisors only")));
        Assert.Equal(409, AlarmsApi.StatusOf(new ActionOutcome.Conflict("already acknowledged")));
        Assert.Equal(503, AlarmsApi.StatusOf(new ActionOutcome.StoreUnavailable("disk full")));
    }

    [Fact]
    public async Task Architect_commands_are_for_supervisors_and_known_beds_only()
    {
        var technician = await _tess.PostAsJsonAsync("/api/beds/bed-02/architect/pause", new { reason = "x" });
        Assert.Equal(HttpStatusCode.Forbidden, technician.StatusCode);
        await AssertProblem(await _sam.PostAsJsonAsync("/api/beds/bed-99/architect/pause", new { }), HttpStatusCode.NotFound);
        // Nothing audited beyond the users copied from Auth:Users at the first start.
        Assert.All((await _tess.GetFromJsonAsync<JsonElement[]>("/api/audit"))!, a => Assert.Equal("user-add", a.GetProperty("action").GetString()));

        var ok = await _sam.PostAsJsonAsync("/api/beds/bed-02/architect/pause", new { reason = "deprivation" });
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var view = await _tess.GetFromJsonAsync<JsonElement>("/api/beds/bed-02/architect");
        Assert.True(view.GetProperty("requested").GetBoolean());
        Assert.True(view.GetProperty("pending").GetBoolean());
        Assert.False(view.GetProperty("confirmed").GetBoolean());
        var audit = await _tess.GetFromJsonAsync<JsonElement[]>("/api/audit?bed=bed-02");
        Assert.Equal("architect-pause-requested", Assert.Single(audit!).GetProperty("action").GetString());
    }
}

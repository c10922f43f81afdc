using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Beds;

namespace Somnis.Hub.Tests.Sleepers;

/// <summary>Sleepers, programs and admissions through HTTP in the real hub: roles, the admission rules, bad input, audit.</summary>
public sealed class SleepersApiTests() : SignedInHubTest(new() { ["Dashboard:Layout:0:Name"] = "North", ["Dashboard:Layout:0:Beds:0"] = "bed-9*" })
{
    internal static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    protected override async Task Seed()
    {
        var beds = Hub.Services.GetRequiredService<BedRegistry>();
        foreach (var bed in new[] { "bed-01", "bed-02" })
        {
            // The beds' event clocks: 23:00 device time.
            beds.ApplyVitals("nexus", new VitalsMessage { Bed = bed, Seq = 1, Ts = T0.AddHours(1), IntervalSeconds = 10, SignalQuality = 1, BedPresence = true });
        }

        Assert.Equal(HttpStatusCode.Created, (await Sam.PostAsJsonAsync("/api/sleepers", new { name = "Ada Lovelace", program = "architect" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Sam.PostAsJsonAsync("/api/sleepers", new { id = "ben", name = "Ben", program = "companions", programFrom = "2026-02-01" })).StatusCode);
    }

    internal static async Task AssertProblem(HttpResponseMessage r, HttpStatusCode status, string mentions)
    {
        Assert.Equal(status, r.StatusCode);
        var problem = await r.Content.ReadFromJsonAsync<ProblemDetails>();
        Assert.Contains(mentions, problem!.Detail, StringComparison.Ordinal);
    }

    private async Task<string[]> AuditActions() =>
        [.. (await Tess.GetFromJsonAsync<JsonElement[]>("/api/audit?limit=1000"))!.Select(e => e.GetProperty("action").GetString()!)];

    [Fact]
    public async Task Sleepers_need_a_signed_in_user_and_only_supervisors_create_them()
    {
        await AssertAnonymousRefused("/api/sleepers", "/api/sleepers/ben");
        var before = await AuditActions();
        await AssertProblem(await Tess.PostAsJsonAsync("/api/sleepers", new { name = "Cleo", program = "none" }), HttpStatusCode.Forbidden, "needs a supervisor");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "architect", from = "2026-03-01" }), HttpStatusCode.Forbidden, "needs a supervisor");
        Assert.Equal(2, (await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers"))!.Length);
        Assert.Equal(before, await AuditActions());
    }

    [Fact]
    public async Task A_created_sleeper_has_an_id_from_the_name_a_program_history_and_no_admission()
    {
        var list = await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers");
        var ada = list!.Single(s => s.GetProperty("id").GetString() == "ada-lovelace");
        Assert.Equal("Ada Lovelace", ada.GetProperty("name").GetString());
        Assert.Equal("architect", ada.GetProperty("program").GetString());
        Assert.Equal(JsonValueKind.Null, ada.GetProperty("programs")[0].GetProperty("from").ValueKind);
        Assert.Equal(JsonValueKind.Null, ada.GetProperty("admission").ValueKind);
        var second = await Sam.PostAsJsonAsync("/api/sleepers", new { name = "Ada  Lovelace!", program = "none", notes = "twin" });
        Assert.Equal("/api/sleepers/ada-lovelace-2", second.Headers.Location!.OriginalString);
        Assert.Contains("sleeper-created", await AuditActions());
    }

    [Theory]
    [InlineData("""{"program":"architect"}""", "name is required")]
    [InlineData("""{"name":"   ","program":"architect"}""", "name is required")]
    [InlineData("""{"name":"Zed","program":"dreams"}""", "unknown program 'dreams'")]
    [InlineData("""{"name":"Zed"}""", "program is required")]
    [InlineData("""{"name":"Zed","program":"none","id":"Bad Id"}""", "is not a sleeper id")]
    [InlineData("""{"name":"Zed","program":"none","programFrom":"yesterday"}""", "programFrom must be a date")]
    public async Task Bad_sleepers_are_refused_with_the_reason(string body, string reason)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await AssertProblem(await Sam.PostAsync(new Uri("/api/sleepers", UriKind.Relative), content), HttpStatusCode.BadRequest, reason);
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers", new { name = new string('x', 81), program = "none" }), HttpStatusCode.BadRequest, "at most 80");
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers", new { id = "ben", name = "Ben again", program = "none" }), HttpStatusCode.Conflict, "'ben' is taken");
        Assert.Equal(2, (await Tess.GetFromJsonAsync<JsonElement[]>("/api/sleepers"))!.Length);
    }

    [Fact]
    public async Task Admit_transfer_and_discharge_at_the_beds_event_clock_each_audited()
    {
        var admit = await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada-lovelace" });
        Assert.Equal(HttpStatusCode.OK, admit.StatusCode);
        var admission = await admit.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(T0.AddHours(1), admission.GetProperty("from").GetDateTimeOffset());
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-02/admit", new { sleeper = "ada-lovelace" }), HttpStatusCode.Conflict, "\"transfer\": true");

        var transfer = await Tess.PostAsJsonAsync("/api/beds/bed-02/admit", new { sleeper = "ada-lovelace", from = "2026-03-01T23:30:00Z", transfer = true });
        Assert.Equal(HttpStatusCode.OK, transfer.StatusCode);
        var ada = await Tess.GetFromJsonAsync<JsonElement>("/api/sleepers/ada-lovelace");
        Assert.Equal("bed-02", ada.GetProperty("admission").GetProperty("bed").GetString());
        var history = ada.GetProperty("admissions");
        Assert.Equal(2, history.GetArrayLength());
        Assert.Equal(T0.AddHours(1.5), history[0].GetProperty("to").GetDateTimeOffset());
        Assert.Equal(0, ada.GetProperty("debt").GetProperty("hours").GetDouble());

        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-02/discharge", new { to = "2026-03-02T07:00:00Z" })).StatusCode);
        Assert.Equal(JsonValueKind.Null, (await Tess.GetFromJsonAsync<JsonElement>("/api/sleepers/ada-lovelace")).GetProperty("admission").ValueKind);
        var audit = await Tess.GetFromJsonAsync<JsonElement[]>("/api/audit?facility=nexus");
        Assert.Equal(["admit", "transfer", "transfer", "discharge"], audit!.Select(e => e.GetProperty("action").GetString()));
        Assert.All(audit!, e => Assert.Equal("tess", e.GetProperty("actor").GetString()));
        Assert.Equal(["bed-01", "bed-01", "bed-02", "bed-02"], audit!.Select(e => e.GetProperty("bed").GetString()));
        Assert.Contains("ada-lovelace", audit![0].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_admissions_change_nothing_and_audit_nothing()
    {
        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ben", from = "2026-03-01T22:00:00Z" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/discharge", new { to = "2026-03-01T22:30:00Z" })).StatusCode);
        var before = await AuditActions();

        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "nobody" }), HttpStatusCode.NotFound, "no sleeper 'nobody'");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-77/admit", new { sleeper = "ben" }), HttpStatusCode.NotFound, "no bed 'bed-77'");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-02/admit", new { sleeper = "ben", transfer = true }), HttpStatusCode.Conflict, "nothing to transfer");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada-lovelace", from = "2026-03-01T22:10:00Z" }), HttpStatusCode.Conflict, "overlaps");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ben", from = "tonight" }), HttpStatusCode.BadRequest, "is not a time");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ben", from = "2026-03-04T00:00:00Z" }), HttpStatusCode.BadRequest, "more than a day ahead");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { }), HttpStatusCode.BadRequest, "\"sleeper\"");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-02/discharge", new { }), HttpStatusCode.Conflict, "no sleeper is admitted to bed 'bed-02'");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit?facility=no%20such", new { sleeper = "ben" }), HttpStatusCode.BadRequest, "not a facility id");

        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada-lovelace" })).StatusCode);
        before = [.. before, "admit"];
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ben" }), HttpStatusCode.Conflict, "occupied by sleeper 'ada-lovelace'");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada-lovelace" }), HttpStatusCode.Conflict, "already admitted");
        await AssertProblem(await Tess.PostAsJsonAsync("/api/beds/bed-01/discharge", new { to = "2026-03-01T22:59:00Z" }), HttpStatusCode.Conflict, "must come after");
        Assert.Equal(before, await AuditActions());
    }

    [Fact]
    public async Task A_bed_listed_in_the_layout_can_be_admitted_to_before_it_sends_data()
    {
        var r = await Tess.PostAsJsonAsync("/api/beds/bed-90/admit", new { sleeper = "ben" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("nexus", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("facility").GetString());
    }

    [Fact]
    public async Task Programs_change_on_a_date_and_keep_their_history()
    {
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "architect" }), HttpStatusCode.BadRequest, "from must be a date");
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "sleepy", from = "2026-03-01" }), HttpStatusCode.BadRequest, "unknown program");
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers/nobody/program", new { program = "none", from = "2026-03-01" }), HttpStatusCode.NotFound, "no sleeper");
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "architect", from = "2026-01-15" }), HttpStatusCode.Conflict, "must start after");
        await AssertProblem(await Sam.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "companions", from = "2026-03-01" }), HttpStatusCode.Conflict, "already in program");

        var changed = await Sam.PostAsJsonAsync("/api/sleepers/ben/program", new { program = "architect", from = "2026-03-01" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var programs = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("programs");
        Assert.Equal(["companions", "architect"], programs.EnumerateArray().Select(p => p.GetProperty("program").GetString()));
        Assert.Equal("2026-03-01", programs[1].GetProperty("from").GetString());
        Assert.Contains("program-changed", await AuditActions());
        await AssertProblem(await Tess.GetAsync(new Uri("/api/sleepers/nobody", UriKind.Relative)), HttpStatusCode.NotFound, "no sleeper 'nobody'");
    }
}

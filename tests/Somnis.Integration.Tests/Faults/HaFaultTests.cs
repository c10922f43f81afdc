using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Faults;

/// <summary>
/// Two HA hubs as their own processes on one PostgreSQL and one Mosquitto, with an edge fleet streaming, under the store's
/// faults (docs/high-availability.md): PostgreSQL stopped for 30 s, and the active alone cut off from PostgreSQL (through a
/// <see cref="TcpCut"/>) while it still reaches the broker. Each test has its own PostgreSQL server (a couple of seconds of
/// initdb): stopping the one the <c>postgres</c> collection shares would fail the tests running beside it.
/// </summary>
[Collection("processes")]
public sealed partial class HaFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly Dictionary<HubProcess, HttpClient> _clients = [];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    /// <summary>An answer from memory: well under a load balancer's 2-s check, with room for a loaded machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task PostgreSQL_stopped_for_30_s_the_active_keeps_watching_no_second_active_appears_and_nothing_is_lost()
    {
        await using var pg = await Postgres.StartAsync();
        var cs = await pg.CreateDatabaseAsync("ha");
        await using var broker = await Mosquitto.StartAsync();
        using var webhook = new WebhookReceiver();
        await using var a = await HubProcess.StartAsync(["--node", "a", .. Common(broker, cs, webhook)]);
        await using var b = await HubProcess.StartServingAsync(["--node", "b", .. Common(broker, cs, webhook)]);
        await Eventually.UntilAsync(async () => await RoleAsync(b) == "standby", Patience, "b a standby");
        await using var fleet = StartFleet(broker);
        await using var edge = await FakeEdge.ConnectAsync(broker.Port);
        string[] outageBeds = ["x-1", "x-2"];
        foreach (var bed in outageBeds)
        {
            await edge.OnlineAsync(bed);
        }

        await Eventually.UntilAsync(async () => (await BedsAsync(a)).Count(x => x.GetProperty("online").GetBoolean()) == 5, Patience, "5 beds online on a");

        await pg.StopAsync();
        var clock = Stopwatch.StartNew();
        // Alarms raised while the store is away: kept in memory, stored when it returns.
        foreach (var bed in outageBeds)
        {
            await edge.OfflineAsync(bed);
        }

        var sequence = await SequenceAsync(a, "bed-01");
        string? readyBody = null;
        while (clock.Elapsed < Outage)
        {
            // Throughout the outage: b never ready; a still serves live bed state.
            Assert.NotEqual(HttpStatusCode.OK, (await ReadyAsync(b)).Status);
            var ready = await ReadyAsync(a);
            if (ready.Status != HttpStatusCode.OK)
            {
                readyBody ??= ready.Body;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        Assert.True(readyBody is not null, "a's /readyz never showed the outage");
        output.WriteLine($"a's /readyz during the outage: {readyBody}");
        Assert.True(await SequenceAsync(a, "bed-01") > sequence + 5, "a stopped ingesting during the outage");
        Assert.True(await LabelledMetricAsync(a, "somnis_ha_lease_renewals_total", "outcome=\"failed\"") > 0, "no failed lease round counted on a");

        await pg.StartAgainAsync();
        var active = await Eventually.UntilAsync(async () => await ActiveAsync(a, b), Patience, "one active again after the outage");
        output.WriteLine($"active after the outage: {active.Url}; outage {clock.Elapsed.TotalSeconds:0} s");
        await AssertOneActiveAsync(a, b);
        output.WriteLine(Acquired(a, b));

        // Nothing lost: the alarms of the outage are in PostgreSQL, once each; every bed complete.
        await Eventually.UntilAsync(
            async () => await CountAsync(pg, cs, "SELECT count(*) FROM alarms WHERE type = 'edge-offline' AND bed IN ('x-1', 'x-2')") == 2,
            Patience, "the outage's two edge-offline alarms stored");
        // Notifications go out after the commit, so they may follow the rows by a moment.
        await Eventually.UntilAsync(
            () => Task.FromResult(webhook.Received.Where(n => n.Type == "edge-offline" && n.State == "active-unacknowledged").Select(n => n.Bed).Distinct().Count() == 2),
            Patience, "the outage's two alarms notified");
        await AssertCompleteAsync(active);
        Assert.True(webhook.Twice().Count == 0, $"notified twice: {string.Join(", ", webhook.Twice())}");
    }

    [Fact]
    public async Task The_active_cut_off_from_PostgreSQL_steps_down_within_its_lease_the_other_takes_over_and_nothing_is_done_twice()
    {
        await using var pg = await Postgres.StartAsync();
        var cs = await pg.CreateDatabaseAsync("ha");
        await using var cut = new TcpCut(pg.Port);
        var throughCut = new NpgsqlConnectionStringBuilder(cs) { Port = cut.Port }.ConnectionString;
        await using var broker = await Mosquitto.StartAsync();
        using var webhook = new WebhookReceiver();
        await using var a = await HubProcess.StartAsync(["--node", "a", .. Common(broker, throughCut, webhook)]);
        await using var b = await HubProcess.StartServingAsync(["--node", "b", .. Common(broker, cs, webhook)]);
        await Eventually.UntilAsync(async () => await RoleAsync(b) == "standby", Patience, "b a standby");
        await using var fleet = StartFleet(broker);
        await using var edge = await FakeEdge.ConnectAsync(broker.Port);
        await edge.OnlineAsync("y-1");
        await edge.OnlineAsync("y-2");
        await Eventually.UntilAsync(async () => (await BedsAsync(a)).Count(x => x.GetProperty("online").GetBoolean()) == 5, Patience, "5 beds online on a");
        // An alarm raised and notified by a before the cut.
        await edge.OfflineAsync("y-1");
        await Eventually.UntilAsync(() => Task.FromResult(webhook.Received.Any(n => n.Bed == "y-1")), Patience, "a notified y-1's alarm");

        // a's view of the cluster read fresh before the cut (a loaded machine may take longer than the request's bound).
        await Eventually.UntilAsync(
            async () =>
            {
                var view = await Api(a).GetFromJsonAsync<JsonElement>("/api/cluster");
                return !view.GetProperty("stale").GetBoolean() && view.GetProperty("lease").GetProperty("holder").GetString() == "a";
            },
            Patience,
            "a's fresh view of the cluster");

        cut.Cut();
        var cutAt = TimeProvider.System.GetUtcNow();
        var clock = Stopwatch.StartNew();
        TimeSpan? aDown = null, bUp = null;
        var slowest = TimeSpan.Zero;
        // a's readiness through the cut: each answer prompt (it comes from the lease keeper's state, not from the store a
        // cannot reach), 200 only while a calls itself active. A reading is true at some instant between its request and
        // its response: a seen ready in a request sent after b's ready response is two actives at once for certain.
        await Eventually.UntilAsync(
            async () =>
            {
                var sent = clock.Elapsed;
                var (ready, took) = await TimedAsync(() => ReadyAsync(a));
                slowest = took > slowest ? took : slowest;
                Assert.True(took < Prompt, $"a's /readyz took {took.TotalSeconds:0.00} s {sent.TotalSeconds:0.00} s after the cut: {ready.Body}");
                var role = JsonDocument.Parse(ready.Body).RootElement.GetProperty("role").GetString();
                Assert.True(ready.Status != HttpStatusCode.OK || role == "active", $"a ready as {role}");
                var active = ready.Status == HttpStatusCode.OK;
                Assert.False(active && bUp is not null && sent > bUp, $"a still ready {sent.TotalSeconds:0.00} s after the cut, b ready since {bUp?.TotalSeconds:0.00} s");
                aDown ??= active ? null : clock.Elapsed;
                bUp ??= (await ReadyAsync(b)).Status == HttpStatusCode.OK ? clock.Elapsed : null;
                return aDown is not null && bUp is not null;
            },
            Patience,
            "a to step down and b to take over");
        output.WriteLine($"cut to a seen no longer ready: {aDown!.Value.TotalSeconds:0.00} s; cut to b seen ready: {bUp!.Value.TotalSeconds:0.00} s; a's slowest /readyz {slowest.TotalMilliseconds:0} ms");
        Assert.Equal(0, await LabelledMetricAsync(a, "somnis_ha_role", "role=\"active\""));
        // a stops on its own clock at LeaseTime - SafetyMargin after its last renewal; the slack is the polling and a
        // slow answer on a busy machine.
        Assert.True(aDown < LeaseTime + TimeSpan.FromSeconds(2), $"a stepped down {aDown.Value.TotalSeconds:0.0} s after the cut");
        var (aReady, readyTook) = await TimedAsync(() => ReadyAsync(a));
        output.WriteLine($"a's /readyz during the cut ({readyTook.TotalMilliseconds:0} ms): {aReady.Status} {aReady.Body}");
        Assert.NotEqual(HttpStatusCode.OK, aReady.Status);
        Assert.Equal("isolated", JsonDocument.Parse(aReady.Body).RootElement.GetProperty("role").GetString());
        Assert.True(readyTook < Prompt, $"a's /readyz took {readyTook.TotalSeconds:0.00} s");
        // a's /api/cluster answers too, from the last view it read, dated before the cut.
        var (view, viewTook) = await TimedAsync(() => Api(a).GetFromJsonAsync<JsonElement>("/api/cluster"));
        output.WriteLine($"a's /api/cluster during the cut ({viewTook.TotalMilliseconds:0} ms): {view}");
        Assert.True(viewTook < Prompt, $"a's /api/cluster took {viewTook.TotalSeconds:0.00} s");
        Assert.Equal(("isolated", true), (view.GetProperty("role").GetString(), view.GetProperty("stale").GetBoolean()));
        Assert.Equal("a", view.GetProperty("lease").GetProperty("holder").GetString());
        Assert.True(DateTimeOffset.Parse(view.GetProperty("asOf").GetString()!, CultureInfo.InvariantCulture) < cutAt.AddSeconds(1), "a's view read after the cut");

        // During the cut, a new alarm: raised and notified by b only (a, isolated, holds it and drops it on healing).
        await edge.OfflineAsync("y-2");
        await Eventually.UntilAsync(() => Task.FromResult(webhook.Received.Any(n => n.Bed == "y-2")), Patience, "b notified y-2's alarm");

        cut.Heal();
        await Eventually.UntilAsync(async () => await RoleAsync(a) == "standby", Patience, "a a standby after healing");
        Assert.NotEqual(HttpStatusCode.OK, (await ReadyAsync(a)).Status);
        await AssertOneActiveAsync(a, b);
        Assert.Contains("Lease lost: node a steps down", a.Process.Output, StringComparison.Ordinal);

        // Nothing done twice: one alarm per condition in the store, no notification twice; b acts (and notifies once).
        foreach (var bed in new[] { "y-1", "y-2" })
        {
            Assert.Equal(1, await CountAsync(pg, cs, $"SELECT count(*) FROM alarms WHERE type = 'edge-offline' AND bed = '{bed}'"));
        }

        var y2 = (await Api(b).GetFromJsonAsync<JsonElement[]>("/api/alarms?type=edge-offline&bed=y-2&state=open"))!.Single().GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await Api(b).PostAsJsonAsync($"/api/alarms/{y2}/ack", new { comment = "after the cut" })).StatusCode);
        await Eventually.UntilAsync(() => Task.FromResult(webhook.Received.Any(n => n.Id == y2 && n.State == "active-acknowledged")), Patience, "b's acknowledgement notified");
        Assert.True(webhook.Twice().Count == 0, $"notified twice: {string.Join(", ", webhook.Twice())}");
        await AssertCompleteAsync(b);
        output.WriteLine(Acquired(a, b));
    }

    /// <summary>
    /// An API client signed in with the dashboard's cookie, made on first use (signing in reads the users from the store).
    /// Not HTTP Basic: during an outage Basic works only for users the node has read since it started (their last known
    /// record), whereas a cookie session is checked against the users the hub keeps in memory (docs/high-availability.md).
    /// </summary>
    private HttpClient Api(HubProcess hub)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(hub, out var client))
            {
                client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(hub.Url), Timeout = TimeSpan.FromSeconds(15) };
                using var signIn = client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["username"] = "technician", ["password"] = "somnis-demo", ["returnUrl"] = "/",
                })).GetAwaiter().GetResult();
                Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
                _clients[hub] = client;
            }

            return client;
        }
    }

    private async Task<JsonElement[]> BedsAsync(HubProcess hub) => (await Api(hub).GetFromJsonAsync<JsonElement[]>("/api/beds"))!;

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private static string[] Common(Mosquitto broker, string connectionString, WebhookReceiver webhook) =>
    [
        "--beds", "0", "--broker", broker.Url, "--Alarms:Types:edge-offline:OnDelay", "00:00:01", "--Beds:StaleAfter", "01:00:00",
        "--Store:Provider", "postgres", "--Store:ConnectionString", connectionString, "--Alarms:Webhook:Url", webhook.Url,
        "--Ha:Enabled", "true", "--Ha:LeaseTime", "00:00:03", "--Ha:RenewEvery", "00:00:00.500", "--Ha:SafetyMargin", "00:00:00.500",
    ];

    /// <summary>Three simulated healthy beds in an edge process of their own (bed-01…), streaming vitals at 60× speed.</summary>
    private static DotnetProcess StartFleet(Mosquitto broker) =>
        DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", broker.Url, "--beds", "3", "--speed", "60", "--scenario", "healthy", "--seed", "5");

    private static async Task<(T Result, TimeSpan Took)> TimedAsync<T>(Func<Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        var result = await call();
        return (result, clock.Elapsed);
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(HubProcess hub)
    {
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        try
        {
            using var r = await anonymous.GetAsync(new Uri(hub.Url + "/readyz"));
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (HttpStatusCode.RequestTimeout, ex.Message);
        }
    }

    private async Task<string?> RoleAsync(HubProcess hub, bool viaReady = false)
    {
        if (viaReady)
        {
            return JsonDocument.Parse((await ReadyAsync(hub)).Body).RootElement.GetProperty("role").GetString();
        }

        var cluster = await Api(hub).GetFromJsonAsync<JsonElement>("/api/cluster");
        return cluster.GetProperty("role").GetString();
    }

    private async Task<HubProcess?> ActiveAsync(HubProcess a, HubProcess b)
    {
        var ready = new List<HubProcess>();
        foreach (var hub in new[] { a, b })
        {
            if ((await ReadyAsync(hub)).Status == HttpStatusCode.OK && await RoleAsync(hub) == "active")
            {
                ready.Add(hub);
            }
        }

        return ready.Count == 1 ? ready[0] : null;
    }

    /// <summary>Both nodes agree: one lease holder, which calls itself active; the other a standby. Each term was acquired
    /// once, by one node (the "Lease acquired" lines of both): a second active would show up as a second holder of a term.</summary>
    private async Task AssertOneActiveAsync(HubProcess a, HubProcess b)
    {
        await Eventually.UntilAsync(
            async () =>
            {
                var views = new[] { await Api(a).GetFromJsonAsync<JsonElement>("/api/cluster"), await Api(b).GetFromJsonAsync<JsonElement>("/api/cluster") };
                if (views.Any(v => v.GetProperty("stale").GetBoolean()))
                {
                    return false;
                }

                var roles = views.Select(v => v.GetProperty("role").GetString()).Order().ToArray();
                var holders = views.Select(v => v.GetProperty("lease").GetProperty("holder").GetString()).Distinct().ToArray();
                var active = views.FirstOrDefault(v => v.GetProperty("role").GetString() == "active");
                return roles.SequenceEqual(["active", "standby"]) && holders.Length == 1 && holders[0] == active.GetProperty("node").GetString();
            },
            Patience,
            "one active (the lease holder by both nodes' view) and one standby");
        var terms = new[] { a, b }.SelectMany(h => AcquiredLine().Matches(h.Process.Output).Select(m => m.Groups["term"].Value)).ToList();
        Assert.Equal(terms.Distinct().Count(), terms.Count);
    }

    /// <summary>Every bed of the fleet complete on <paramref name="hub"/>: nothing missing.</summary>
    private async Task AssertCompleteAsync(HubProcess hub)
    {
        var seen = "";
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    var fleet = (await BedsAsync(hub)).Where(x => x.GetProperty("id").GetString()!.StartsWith("bed-", StringComparison.Ordinal)).ToList();
                    seen = string.Join("; ", fleet.Select(x => $"{x.GetProperty("id")}: {(x.TryGetProperty("delivery", out var d) ? d.ToString() : "no delivery")}"));
                    return fleet.Count == 3 && fleet.All(x => x.GetProperty("delivery").GetProperty("missing").GetInt64() == 0);
                },
                Patience,
                "every bed of the fleet with missing = 0");
        }
        catch (TimeoutException)
        {
            output.WriteLine(seen);
            throw;
        }
    }

    private async Task<long> SequenceAsync(HubProcess hub, string bed) =>
        (await BedsAsync(hub)).Single(x => x.GetProperty("id").GetString() == bed).GetProperty("lastSequence").GetInt64();

    private async Task<double> LabelledMetricAsync(HubProcess hub, string name, string label)
    {
        var text = await Api(hub).GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task<long> CountAsync(Postgres pg, string cs, string sql) => await pg.ScalarAsync<long>(cs, sql);

    /// <summary>Every "Lease acquired" line of both nodes (each term once: a second active would show a second holder of a term).</summary>
    private static string Acquired(HubProcess a, HubProcess b) =>
        string.Join("; ", new[] { a, b }.SelectMany(h => AcquiredLine().Matches(h.Process.Output).Select(m => m.Value)));

    [GeneratedRegex(@"Lease acquired: node \w+ is active \(term (?<term>\d+)\)")]
    private static partial Regex AcquiredLine();
}

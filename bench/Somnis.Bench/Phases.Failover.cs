using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Somnis.Contracts;

namespace Somnis.Bench;

/// <summary>The phase <c>failover</c> (<c>bench/run.sh --failover</c>): two HA hubs on one PostgreSQL and one Mosquitto
/// with an edge fleet publishing; ten times <c>kill -9</c> of the active, timing kill → the other node's <c>/readyz</c> 200
/// and kill → its first alarm (docs/high-availability.md, docs/performance.md "Failure costs of the HA pair").</summary>
internal sealed partial class Phases
{
    private const int Kills = 10;
    private const string FailoverFacility = "nexus";
    private static readonly TimeSpan FailoverPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan FailoverPatience = TimeSpan.FromSeconds(90);

    public async Task FailoverAsync()
    {
        var dir = Subdir("failover");
        await using var postgres = await BenchPostgres.StartAsync(dir);
        using var broker = await Broker.StartAsync(dir);
        // Live traffic: a simulated fleet at real time, as deployed.
        var fleet = Rig.Start(edgeExe, ["--broker", broker.Url, "--facility", FailoverFacility, "--beds", "5", "--mode", "simulated", "--speed", "1",
            "--journal", Path.Combine(dir, "journal")], Path.Combine(dir, "edge-fleet.log"), new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" },
            Path.GetDirectoryName(edgeExe));
        // The shipped lease settings (Ha:LeaseTime 4 s, RenewEvery 1 s, SafetyMargin 1 s): none is given. The edge-offline
        // on-delay is shortened so the alarm of the bed that goes offline at the kill is due during the failover; beds
        // that send only a status must not go stale meanwhile.
        string[] common = ["--Store:Provider", "postgres", "--Store:ConnectionString", postgres.ConnectionString, "--Ha:Enabled", "true",
            "--Alarms:Types:edge-offline:OnDelay", "00:00:01", "--Beds:StaleAfter", "01:00:00"];
        var nodes = new[] { HaHub.Launch(hubDll, broker.Url, dir, "a", common), HaHub.Launch(hubDll, broker.Url, dir, "b", common) };
        var edge = await Publisher.ConnectAsync("127.0.0.1", broker.Port, "bench-failover", 1, 1, CancellationToken.None);
        try
        {
            foreach (var n in nodes)
            {
                await n.UntilServingAsync();
            }

            var ready = new List<double>();
            var alarm = new List<double>();
            var announced = new List<double>();
            var rounds = new JsonArray();
            for (var kill = 1; kill <= Kills; kill++)
            {
                if (fleet.HasExited)
                {
                    throw new InvalidOperationException($"the edge fleet exited with {fleet.ExitCode}; see {dir}/edge-fleet.log");
                }

                var active = await ActiveAsync(nodes);
                var standby = nodes.Single(n => n != active);
                await standby.UntilStandbyAsync();
                // A bed of its own for each kill, online on both nodes: its offline status at the kill is the new alarm.
                var bed = $"failover-{kill}";
                await StatusAsync(edge, bed, DeviceStates.Online);
                foreach (var n in nodes)
                {
                    await Rig.UntilAsync(() => n.BedOnlineAsync(bed), FailoverPatience, $"{bed} online on {n.Node}");
                }

                var killedAt = TimeProvider.System.GetUtcNow();
                var clock = Stopwatch.StartNew();
                active.Kill();
                await StatusAsync(edge, bed, DeviceStates.Offline);
                var readyAfter = TimeSpan.Zero;
                JsonElement? raised = null;
                // One loop, every 50 ms: /readyz until 200, then the new active's alarms until the bed's edge-offline shows.
                await Rig.UntilAsync(async () =>
                {
                    if (readyAfter == TimeSpan.Zero)
                    {
                        if (await standby.ReadyAsync())
                        {
                            readyAfter = clock.Elapsed;
                        }

                        return false;
                    }

                    raised = await standby.AlarmAsync(bed);
                    return raised is not null;
                }, FailoverPatience, $"{standby.Node} to take over and raise {bed}'s edge-offline", FailoverPoll);
                var alarmAfter = clock.Elapsed;
                var announcedAfter = raised!.Value.GetProperty("announcedAt").GetDateTimeOffset() - killedAt;
                ready.Add(readyAfter.TotalSeconds);
                alarm.Add(alarmAfter.TotalSeconds);
                announced.Add(announcedAfter.TotalSeconds);
                rounds.Add(new JsonObject
                {
                    ["killed"] = active.Node, ["ready_s"] = Math.Round(readyAfter.TotalSeconds, 2), ["alarm_s"] = Math.Round(alarmAfter.TotalSeconds, 2),
                    ["announced_s"] = Math.Round(announcedAfter.TotalSeconds, 2),
                });
                report($"failover {kill}: kill -9 {active.Node} → {standby.Node}", $"ready {readyAfter.TotalSeconds:0.00} s, alarm seen {alarmAfter.TotalSeconds:0.00} s (announced {announcedAfter.TotalSeconds:0.00} s)");
                // The killed node comes back (same name, same data) and must be a standby before the next kill.
                active.Launch();
                await active.UntilServingAsync();
                await active.UntilStandbyAsync();
            }

            results["failover_lease"] = "LeaseTime 4 s, RenewEvery 1 s, SafetyMargin 1 s (defaults)";
            results["failover_rounds"] = rounds;
            results["failover_ready_median_s"] = Math.Round(Median(ready), 2);
            results["failover_ready_max_s"] = Math.Round(ready.Max(), 2);
            results["failover_alarm_median_s"] = Math.Round(Median(alarm), 2);
            results["failover_alarm_max_s"] = Math.Round(alarm.Max(), 2);
            results["failover_announced_median_s"] = Math.Round(Median(announced), 2);
            report("failover: kill → new active's /readyz 200", $"median {Median(ready):0.00} s, max {ready.Max():0.00} s ({Kills} kills, default lease 4 s / renew 1 s / margin 1 s)");
            report("failover: kill → its first alarm seen", $"median {Median(alarm):0.00} s, max {alarm.Max():0.00} s (hub's announcedAt: median {Median(announced):0.00} s)");
        }
        finally
        {
            await edge.DisposeAsync();
            foreach (var n in nodes)
            {
                n.Dispose();
            }

            Rig.Stop(fleet);
        }
    }

    /// <summary>The node whose <c>/readyz</c> answers 200, as a load balancer picks it.</summary>
    private static async Task<HaHub> ActiveAsync(HaHub[] nodes)
    {
        HaHub? active = null;
        await Rig.UntilAsync(async () =>
        {
            foreach (var n in nodes)
            {
                if (await n.ReadyAsync())
                {
                    active = n;
                    return true;
                }
            }

            return false;
        }, FailoverPatience, "an active hub");
        return active!;
    }

    /// <summary>One HA hub process: <c>demo</c> with no simulated beds (the demo users sign the API in), its own data
    /// directory and log; killed with -9 and launched again under the same name, port and data.</summary>
    private sealed class HaHub(string hubDll, string brokers, string dir, string node, string[] extra) : IDisposable
    {
        private readonly HttpClient _http = NewClient(Rig.FreePort());
        private Process? _process;

        public string Node => node;

        public static HaHub Launch(string hubDll, string brokers, string dir, string node, string[] extra)
        {
            var hub = new HaHub(hubDll, brokers, dir, node, extra);
            hub.Launch();
            return hub;
        }

        public void Launch()
        {
            _process?.Dispose();
            _process = Rig.Start(Rig.Dotnet, [hubDll, "demo", "--beds", "0", "--history-nights", "0", "--node", node, "--broker", brokers,
                "--data", Path.Combine(dir, $"hub-{node}"), "--urls", _http.BaseAddress!.ToString().TrimEnd('/'), "--Logging:LogLevel:Default", "Warning", .. extra],
                Path.Combine(dir, $"hub-{node}.log"));
        }

        /// <summary><c>kill -9</c>: no shutdown, the lease is not released.</summary>
        public void Kill()
        {
            _process!.Kill();
            _process.WaitForExit(10_000);
        }

        public Task UntilServingAsync() => Rig.UntilAsync(async () =>
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"hub {node} exited with {_process.ExitCode}; see {dir}/hub-{node}.log");
            }

            return await StatusAsync("/healthz") == HttpStatusCode.OK;
        }, FailoverPatience, $"hub {node} to serve", TimeSpan.FromMilliseconds(200));

        /// <summary>Until <c>/readyz</c> answers 503 with <c>"role": "standby"</c>.</summary>
        public Task UntilStandbyAsync() => Rig.UntilAsync(async () =>
        {
            try
            {
                using var r = await _http.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (r.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
                return doc.RootElement.TryGetProperty("role", out var role) && role.GetString() == "standby";
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, FailoverPatience, $"hub {node} to be a standby", TimeSpan.FromMilliseconds(200));

        public async Task<bool> ReadyAsync() => await StatusAsync("/readyz") == HttpStatusCode.OK;

        public async Task<bool> BedOnlineAsync(string bed)
        {
            using var doc = JsonDocument.Parse(await _http.GetStringAsync(new Uri("/api/beds", UriKind.Relative)));
            return doc.RootElement.EnumerateArray().Any(b => b.GetProperty("id").GetString() == bed && b.GetProperty("online").GetBoolean());
        }

        /// <summary>The bed's open edge-offline alarm, if this node lists one.</summary>
        public async Task<JsonElement?> AlarmAsync(string bed)
        {
            using var r = await _http.GetAsync(new Uri("/api/alarms?type=edge-offline&state=open", UriKind.Relative));
            if (!r.IsSuccessStatusCode)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return doc.RootElement.EnumerateArray().Where(a => a.GetProperty("bed").GetString() == bed).Select(a => (JsonElement?)a.Clone()).FirstOrDefault();
        }

        public void Dispose()
        {
            _http.Dispose();
            Rig.Stop(_process);
        }

        private async Task<HttpStatusCode?> StatusAsync(string path)
        {
            try
            {
                using var r = await _http.GetAsync(new Uri(path, UriKind.Relative));
                return r.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return null;
            }
        }

        private static HttpClient NewClient(int port)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("technician:somnis-demo")));
            return http;
        }
    }

    /// <summary>A bed's retained status (online, or offline as its edge's last will says), as an edge publishes it.</summary>
    private static Task StatusAsync(Publisher edge, string bed, string state)
    {
        var status = new StatusMessage { Bed = bed, Seq = 0, Ts = TimeProvider.System.GetUtcNow(), State = state, Mode = "simulated", Software = "somnis-bench" };
        var message = new BenchMessage(Topics.For(FailoverFacility, bed, Topics.Status), JsonSerializer.SerializeToUtf8Bytes(status, SomnisJsonContext.Default.StatusMessage), 0, 0);
        return edge.PublishAsync([message], 0, null, retain: true, CancellationToken.None);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Somnis.Hub.Auth;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Deploy;

/// <summary>
/// Issue 21, a load balancer in front: Debian's haproxy running the shipped deploy/haproxy/haproxy.cfg (its site values
/// given through the environment, as the file expects) in front of two hubs serving HTTPS with the deploy scripts'
/// facility CA and certificate. HAProxy names the hub that answered in <c>X-Somnis-Server</c>. Checked: a hub answering
/// <c>/readyz</c> 503 (its broker away) gets nothing; with both ready, everything goes to one; when that one is killed,
/// requests and a new live-feed connection reach the other within seconds; when it is stopped cleanly (SIGTERM) while
/// clients poll, no poll gets a 502 (the reads it closed unanswered are retried on the other, <c>retry-on</c>).
/// </summary>
[Collection("processes")]
public sealed class HaproxyTests(ITestOutputHelper output)
{
    private const string HubName = "hub.nexus.test";
    private const string Password = "correct-horse";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Haproxy_sends_to_a_ready_hub_only_and_to_the_other_within_seconds_of_a_kill()
    {
        var dir = Directory.CreateTempSubdirectory("somnis-haproxy-").FullName;
        try
        {
            var (broker, ca, https) = await FacilityAsync(dir);

            // hub1 (first in HAProxy's order) starts with its broker away: /readyz 503. hub2 has its embedded broker.
            await using var mosquitto = await Mosquitto.StartAsync();
            mosquitto.Kill();
            await using var hub1 = StartHub(dir, "hub1", https, "--broker", mosquitto.Url);
            await using var hub2 = StartHub(dir, "hub2", https);
            await using var lb = await Haproxy.StartAsync(dir, broker, hub1.Port, hub2.Port);
            using var client = FacilityTls.Client(HubName, lb.Port, ca, TimeSpan.FromSeconds(10));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sam:" + Password)));
            await ServedByAsync(client, "hub2", "hub2 to serve through HAProxy", hub1, hub2, lb);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await DirectAsync(hub1, ca)).StatusCode);

            // A hub answering 503 gets nothing: 20 requests in a row, all to hub2.
            for (var i = 0; i < 20; i++)
            {
                using var r = await client.GetAsync(new Uri("/api/beds", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal("hub2", Server(r));
            }

            // hub1's broker comes back: both ready, and "first" puts everyone on hub1, the live feed too.
            await mosquitto.RestartAsync();
            await ServedByAsync(client, "hub1", "hub1 to be ready and chosen", hub1, hub2, lb);
            using var feed = await client.GetAsync(new Uri("/api/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(("hub1", HttpStatusCode.OK), (Server(feed), feed.StatusCode));
            var stream = new StreamReader(await feed.Content.ReadAsStreamAsync());
            // The feed's first event names the node that serves it (the dashboard compares it after a reconnection).
            Assert.Contains("\"node\":\"hub1\"", await ReadEventAsync(stream), StringComparison.Ordinal);

            var clock = Stopwatch.StartNew();
            hub1.Process.Kill();
            // The open live feed ends (the hub is gone) ...
            await ReadToEndAsync(stream);
            // ... and a new one, as the dashboard's EventSource opens it, reaches hub2.
            var reconnected = await Eventually.UntilAsync(
                async () =>
                {
                    var again = await client.GetAsync(new Uri("/api/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
                    if (again.StatusCode == HttpStatusCode.OK && Server(again) == "hub2")
                    {
                        return again;
                    }

                    again.Dispose();
                    return null;
                },
                Patience,
                "a new live-feed connection through HAProxy to reach hub2");
            using (reconnected)
            {
                Assert.Contains("\"node\":\"hub2\"", await ReadEventAsync(new StreamReader(await reconnected.Content.ReadAsStreamAsync())), StringComparison.Ordinal);
            }

            output.WriteLine($"live feed on hub2 {clock.Elapsed.TotalSeconds:0.0} s after hub1 was killed");
            using var after = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.Equal(("hub2", HttpStatusCode.OK), (Server(after), after.StatusCode));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_graceful_stop_of_the_serving_hub_while_clients_poll_gives_them_no_502()
    {
        var dir = Directory.CreateTempSubdirectory("somnis-haproxy-").FullName;
        try
        {
            var (facility, ca, https) = await FacilityAsync(dir);
            await using var hub1 = StartHub(dir, "hub1", https);
            await using var hub2 = StartHub(dir, "hub2", https);
            // Both ready before HAProxy starts: it takes servers as up at start, so hub2 is up all along and "first" puts
            // everyone on hub1.
            foreach (var hub in new[] { hub1, hub2 })
            {
                await Eventually.UntilAsync(async () => (await DirectAsync(hub, ca)).StatusCode == HttpStatusCode.OK, Patience, $"{hub.Port} ready");
            }

            await using var lb = await Haproxy.StartAsync(dir, facility, hub1.Port, hub2.Port);
            using var client = FacilityTls.Client(HubName, lb.Port, ca, Patience);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sam:" + Password)));
            // A new connection per request, as curl makes them (the walkthrough's poll): each is the first request of its
            // session, which HAProxy answered with 502 when the stopping hub accepted it and closed it unanswered.
            client.DefaultRequestHeaders.ConnectionClose = true;
            await ServedByAsync(client, "hub1", "hub1 to serve through HAProxy", hub1, hub2, lb);

            // Pollers all along; hub1 stopped as systemd stops it (SIGTERM) while they poll.
            var answers = new System.Collections.Concurrent.ConcurrentQueue<(string? Server, HttpStatusCode Status)>();
            using var enough = new CancellationTokenSource();
            var pollers = Enumerable.Range(0, 4).Select(_ => PollAsync(client, answers, enough.Token)).ToArray();
            await Eventually.UntilAsync(() => Task.FromResult(answers.Count(a => a.Server == "hub1") >= 20), Patience, "polls answered by hub1");
            using (var term = Process.Start("kill", ["-TERM", hub1.Process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await term.WaitForExitAsync();
            }

            output.WriteLine($"hub1 exited with {await hub1.Process.WaitForExitAsync(Patience)}");
            var before = answers.Count;
            await Eventually.UntilAsync(() => Task.FromResult(answers.Skip(before).Count(a => a.Server == "hub2") >= 20), Patience, "polls answered by hub2");
            await enough.CancelAsync();
            await Task.WhenAll(pollers);

            var counts = answers.GroupBy(a => $"{a.Status:D} {a.Server}").Select(g => $"{g.Key}: {g.Count()}");
            output.WriteLine(string.Join(", ", counts));
            Assert.DoesNotContain(answers, a => a.Status == HttpStatusCode.BadGateway);
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>GET /api/beds in a loop until <paramref name="stop"/>, each answer's server and status kept.</summary>
    private static async Task PollAsync(HttpClient client, System.Collections.Concurrent.ConcurrentQueue<(string? Server, HttpStatusCode Status)> answers, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var r = await client.GetAsync(new Uri("/api/beds", UriKind.Relative), CancellationToken.None);
            answers.Enqueue((Server(r), r.StatusCode));
        }
    }

    /// <summary>A facility directory as the deploy scripts make it (CA, the hubs' certificate for <see cref="HubName"/>) and
    /// the hub settings of its https.env as command-line arguments.</summary>
    private static async Task<(string Facility, string Ca, string[] Https)> FacilityAsync(string dir)
    {
        var facility = Path.Combine(dir, "broker");
        await DeployedBroker.RunScriptAsync("new-facility.sh", "--facility", "nexus", "--dir", facility, "--host", "127.0.0.1", "--data", Path.Combine(dir, "mosquitto"));
        await DeployedBroker.RunScriptAsync("hub-certificate.sh", "--dir", facility, "--host", HubName);
        var https = File.ReadAllLines(Path.Combine(facility, "hub", "https.env"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .Where(kv => kv[0] != "Urls")
            .SelectMany(kv => new[] { "--" + kv[0].Replace("__", ":", StringComparison.Ordinal), kv[1] })
            .ToArray();
        return (facility, Path.Combine(facility, "certs", "ca.crt"), https);
    }

    private static Hub StartHub(string dir, string name, string[] https, params string[] args)
    {
        var port = Net.FreePort();
        var process = DotnetProcess.Start(RepoPaths.HubDll, [
            "serve", "--node", name, "--urls", $"https://127.0.0.1:{port}", "--data", Path.Combine(dir, name), .. https,
            "--Broker:EmbeddedPort", Net.FreePort().ToString(CultureInfo.InvariantCulture), "--Transport:TrustedProxies:0", "127.0.0.1",
            "--Auth:Users:0:Name", "sam", "--Auth:Users:0:Role", Roles.Supervisor, "--Auth:Users:0:PasswordHash", Passwords.Hash(Password), .. args]);
        return new Hub(process, port);
    }

    private static string? Server(HttpResponseMessage r) => r.Headers.TryGetValues("X-Somnis-Server", out var v) ? v.Single() : null;

    private static async Task<HttpResponseMessage> DirectAsync(Hub hub, string ca)
    {
        using var direct = FacilityTls.Client(HubName, hub.Port, ca, TimeSpan.FromSeconds(10));
        return await direct.GetAsync(new Uri("/readyz", UriKind.Relative));
    }

    private static async Task ServedByAsync(HttpClient client, string server, string what, Hub hub1, Hub hub2, Haproxy lb)
    {
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    Assert.False(hub1.Process.HasExited, hub1.Process.Output);
                    Assert.False(hub2.Process.HasExited, hub2.Process.Output);
                    using var r = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
                    return r.StatusCode == HttpStatusCode.OK && Server(r) == server;
                },
                Patience,
                what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- haproxy ---\n{lb.Output}", ex);
        }
    }

    /// <summary>The next server-sent event's lines (up to the blank line that ends it).</summary>
    private static async Task<string> ReadEventAsync(StreamReader stream)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var text = new StringBuilder();
        while (await stream.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0 && text.Length > 0)
            {
                break;
            }

            text.AppendLine(line);
        }

        return text.ToString();
    }

    private static async Task ReadToEndAsync(StreamReader stream)
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            while (await stream.ReadLineAsync(timeout.Token) is not null)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The stream was cut: ended, as expected.
        }
    }

    /// <summary>A hub process and its HTTPS port.</summary>
    private sealed class Hub(DotnetProcess process, int port) : IAsyncDisposable
    {
        public DotnetProcess Process => process;

        public int Port => port;

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}

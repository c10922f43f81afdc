using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>The hub as its own process on free ports, with its own data directory; ready when <c>/readyz</c> says so.</summary>
public sealed class HubProcess : IAsyncDisposable
{
    private DotnetProcess _process;
    private string[] _args;

    private HubProcess(DotnetProcess process, int port, int brokerPort, string dataDir, string[] args)
    {
        _process = process;
        Port = port;
        BrokerPort = brokerPort;
        DataDirectory = dataDir;
        _args = args;
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Authorization = BasicAuth("technician", "somnis-demo");
    }

    public int Port { get; }

    /// <summary>The embedded broker's port (anonymous, loopback), unless the arguments name another broker.</summary>
    public int BrokerPort { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string DataDirectory { get; }

    /// <summary>An API client signed in as the demo technician.</summary>
    public HttpClient Http { get; }

    public DotnetProcess Process => _process;

    public static AuthenticationHeaderValue BasicAuth(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>Starts <c>somnis-hub demo</c> (demo users; simulated beds only if <c>--beds</c> says so) with extra arguments.</summary>
    public static Task<HubProcess> StartAsync(params string[] args) => StartSeededAsync(_ => { }, args);

    /// <summary>Like <see cref="StartAsync"/>, after <paramref name="seed"/> has written into the hub's new data directory
    /// (e.g. nights of record through the store, <see cref="StudyNights"/>).</summary>
    public static async Task<HubProcess> StartSeededAsync(Action<string> seed, params string[] args)
    {
        var hub = Launch(seed, args);
        await hub.WaitReadyAsync();
        return hub;
    }

    /// <summary>Like <see cref="StartAsync"/>, but waits only until the hub serves (<c>/healthz</c>): a standby hub
    /// (docs/high-availability.md) is never ready.</summary>
    public static async Task<HubProcess> StartServingAsync(params string[] args)
    {
        var hub = Launch(_ => { }, args);
        await hub.WaitForAsync("/healthz", "the hub to serve");
        return hub;
    }

    private static HubProcess Launch(Action<string> seed, string[] args)
    {
        var port = Net.FreePort();
        var data = Directory.CreateTempSubdirectory("somnis-hub-").FullName;
        seed(data);
        // Two quick picks can return the same port: the broker must not take the web port.
        var brokerPort = Net.FreePort();
        while (brokerPort == port)
        {
            brokerPort = Net.FreePort();
        }

        string[] all = ["demo", "--urls", $"http://127.0.0.1:{port}", "--data", data, "--Broker:EmbeddedPort", brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. StoryDefaults(args), .. args];
        return new HubProcess(DotnetProcess.Start(RepoPaths.HubDll, all), port, brokerPort, data, all);
    }

    /// <summary>
    /// Unless a test asks for them: no past nights (the demo's history costs seconds of CPU per start, and the beds wait for
    /// it) and the simulator's own 1-hour day between nights (the demo's real 24-hour days would keep a fast test's beds
    /// out of bed for most of its run). The demo's sleepers are still admitted to its beds.
    /// </summary>
    private static IEnumerable<string> StoryDefaults(string[] args)
    {
        if (!args.Contains("--history-nights") && !args.Any(a => a.StartsWith("--Demo:HistoryNights", StringComparison.Ordinal)))
        {
            yield return "--history-nights";
            yield return "0";
        }

        if (!args.Any(a => a.StartsWith("--Edge:DayLength", StringComparison.Ordinal)))
        {
            yield return "--Edge:DayLength";
            yield return "01:00:00";
        }
    }

    /// <summary>Kills the hub (-9) and starts it again with the same ports and data; <paramref name="changes"/> are
    /// option/value pairs that replace the value an option had (or are added): <c>--node b</c> for a hub that comes back
    /// under another name.</summary>
    public async Task RestartAsync(params string[] changes)
    {
        var args = _args.ToList();
        for (var i = 0; i + 1 < changes.Length; i += 2)
        {
            var at = args.IndexOf(changes[i]);
            if (at >= 0 && at + 1 < args.Count)
            {
                args[at + 1] = changes[i + 1];
            }
            else
            {
                args.AddRange([changes[i], changes[i + 1]]);
            }
        }

        _args = [.. args];
        _process.Kill();
        await _process.DisposeAsync();
        _process = DotnetProcess.Start(RepoPaths.HubDll, _args);
        await WaitReadyAsync();
    }

    public Task WaitReadyAsync() => WaitForAsync("/readyz", "the hub to be ready");

    private async Task WaitForAsync(string path, string what)
    {
        await Eventually.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"hub exited with {_process.ExitCode}:\n{_process.Output}");
                }

                using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                var r = await anonymous.GetAsync(new Uri(Url + path));
                return r.IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(60),
            what);
    }

    public async Task<JsonElement[]> BedsAsync()
    {
        var beds = await Http.GetFromJsonAsync<JsonElement[]>("/api/beds");
        return beds ?? [];
    }

    /// <summary>
    /// A metric from <c>/metrics</c> (Prometheus name, e.g. <c>somnis_delivery_checkpoints_total</c>), summed over its
    /// label sets; 0 while the hub has recorded none (the exporter leaves such a metric out).
    /// </summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is '{' or ' ')
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

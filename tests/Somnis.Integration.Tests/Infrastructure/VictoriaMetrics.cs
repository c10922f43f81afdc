using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real VictoriaMetrics (Debian's <c>victoria-metrics</c>) on a free loopback port: it accepts the InfluxDB v2
/// <c>/api/v2/write</c> protocol that InfluxDB.Client speaks. Series are named <c>measurement_field</c>; the bucket is
/// not stored. Retention is 100 years so any device time is kept; <c>-search.latencyOffset=0s</c> makes new points
/// visible at once (after <see cref="ExportAsync"/>'s force-flush).
/// </summary>
public sealed class VictoriaMetrics : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _process;
    private readonly HttpClient _http;

    private VictoriaMetrics(string dir, int port)
    {
        _dir = dir;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public static string Executable => "/usr/bin/victoria-metrics";

    public static async Task<VictoriaMetrics> StartAsync()
    {
        var vm = new VictoriaMetrics(Directory.CreateTempSubdirectory("somnis-vm-").FullName, Net.FreePort());
        await vm.RestartAsync();
        return vm;
    }

    /// <summary>Starts the server (again, same port and data) and waits until it answers <c>/health</c>.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException("victoria-metrics is not installed: run ./test.sh (it installs the Debian package) or apt-get install victoria-metrics");
        }

        var psi = new ProcessStartInfo(Executable,
            ["-httpListenAddr", $"127.0.0.1:{Port}", "-storageDataPath", Path.Combine(_dir, "data"), "-search.latencyOffset=0s", "-retentionPeriod=100y"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("victoria-metrics did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.UntilAsync(async () => (await _http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "victoria-metrics to answer /health");
    }

    /// <summary>Stops the server with SIGTERM, which makes it flush what it acknowledged (kill -9 would lose its
    /// last second of accepted rows, a property of the server and not of the hub under test).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Every stored series matching a PromQL selector, with values and timestamps (force-flushed first). The time
    /// range is open up to 2100: simulated devices run their clocks fast, into the future.</summary>
    public async Task<IReadOnlyList<ExportedSeries>> ExportAsync(string selector)
    {
        (await _http.GetAsync(new Uri("/internal/force_flush", UriKind.Relative))).EnsureSuccessStatusCode();
        using var body = new FormUrlEncodedContent([new("match[]", selector), new("start", "0"), new("end", "4102444800")]);
        var response = await _http.PostAsync(new Uri("/api/v1/export", UriKind.Relative), body);
        response.EnsureSuccessStatusCode();
        var series = new List<ExportedSeries>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var labels = root.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var values = root.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var stamps = root.GetProperty("timestamps").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            series.Add(new ExportedSeries(labels, [.. stamps.Zip(values, (t, v) => (t, v)).OrderBy(p => p.t)]));
        }

        return series;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One exported series: its labels (<c>__name__</c> = measurement_field, plus the tags) and its points by time.</summary>
public sealed record ExportedSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<(long Ms, double Value)> Points)
{
    public string Name => Labels["__name__"];
}

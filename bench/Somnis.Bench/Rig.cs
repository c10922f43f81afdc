using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Somnis.Bench;

/// <summary>Processes the benchmark runs: a real Mosquitto, the hub, edges, and readings of their CPU and memory from /proc.</summary>
internal static class Rig
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static async Task WaitForListenerAsync(int port, TimeSpan timeout)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < until)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Polls a condition every <paramref name="period"/> until it holds; throws with <paramref name="what"/> on timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? period = null)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(period ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static Process Start(string file, IEnumerable<string> args, string? log, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var writer = log is null ? null : TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { writer?.WriteLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { writer?.WriteLine(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static void Stop(Process? p)
    {
        if (p is { HasExited: false })
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }

        p?.Dispose();
    }

    /// <summary>Resident set size of a process, MiB.</summary>
    public static double RssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            }
        }

        return double.NaN;
    }

    /// <summary>CPU seconds (user + system) a process has used so far.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after the command: state is index 0, utime index 11, stime index 12 (proc(5) numbers 14 and 15).
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>CPU seconds used so far by the threads of <paramref name="pid"/> named <paramref name="name"/> (as
    /// /proc shows thread names: at most 15 characters).</summary>
    public static double ThreadCpuSeconds(int pid, string name)
    {
        double ticks = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (stat[(open + 1)..close] != name)
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return ticks / 100.0;
    }

    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "dotnet";
}

/// <summary>A real Mosquitto on a loopback port, configured as deploy/mosquitto (nodelay, unlimited in-flight, deep queues).</summary>
internal sealed class Broker : IDisposable
{
    private readonly Process _process;

    private Broker(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Url => $"mqtt://127.0.0.1:{Port}";

    public static async Task<Broker> StartAsync(string dir)
    {
        var port = Rig.FreePort();
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            set_tcp_nodelay true
            persistence false
            max_queued_messages 0
            max_inflight_messages 0
            log_dest stdout
            """);
        var exe = File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
        var p = Rig.Start(exe, ["-c", conf], Path.Combine(dir, "mosquitto.out"));
        await Rig.WaitForListenerAsync(port, TimeSpan.FromSeconds(15));
        return new Broker(p, port);
    }

    public void Dispose() => Rig.Stop(_process);
}

/// <summary>The hub as its own process (Release build), on the bench broker, with its embedded store in a fresh directory.</summary>
internal sealed class HubUnderTest : IDisposable
{
    private readonly Process _process;

    private HubUnderTest(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("technician:somnis-demo")));
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public HttpClient Http { get; }

    public static Task<HubUnderTest> StartAsync(string hubDll, Broker broker, string dir) => StartAsync(hubDll, broker.Url, dir);

    /// <param name="brokers">The <c>--broker</c> list.</param>
    /// <param name="extra">More arguments (MQTT version, credentials).</param>
    public static async Task<HubUnderTest> StartAsync(string hubDll, string brokers, string dir, params string[] extra)
    {
        var port = Rig.FreePort();
        // "demo" with no simulated beds: the demo's users (technician/supervisor, marked demo secrets) and everything else
        // as in "serve": ingestion, detection, alarms, the embedded store, the live feed.
        var p = Rig.Start(Rig.Dotnet, [hubDll, "demo", "--beds", "0", "--broker", brokers, "--data", Path.Combine(dir, "hub-data"),
            "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default", "Warning", .. extra], Path.Combine(dir, "hub.log"));
        var hub = new HubUnderTest(p, port);
        await Rig.UntilAsync(async () =>
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"hub exited with {p.ExitCode}; see {dir}/hub.log");
            }

            try
            {
                return (await hub.Http.GetAsync("/readyz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the hub to be ready", TimeSpan.FromMilliseconds(200));
        return hub;
    }

    /// <summary>Messages the hub has accepted (all kinds).</summary>
    public async Task<long> AcceptedAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync("/api/ingestion"));
        return doc.RootElement.GetProperty("accepted").GetInt64();
    }

    /// <summary>A metric from <c>/metrics</c> (Prometheus name), summed over its label sets; 0 while the hub has recorded none.</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is '{' or ' ')
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The managed heap size after the last GC, MiB, from the hub's Prometheus endpoint (runtime instrumentation).</summary>
    public async Task<double> GcHeapMbAsync()
    {
        var text = await Http.GetStringAsync("/metrics");
        double total = 0;
        var found = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes", StringComparison.Ordinal)
                || line.StartsWith("process_runtime_dotnet_gc_heap_size_bytes", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length >= 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    total += v;
                    found = true;
                }
            }
        }

        return found ? total / (1024 * 1024) : double.NaN;
    }

    public double RssMb => Rig.RssMb(Pid);

    public double CpuSeconds => Rig.CpuSeconds(Pid);

    public void Dispose()
    {
        Http.Dispose();
        Rig.Stop(_process);
    }
}

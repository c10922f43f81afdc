using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Somnis.Bench;

// somnis-bench run [--quick] [--nats] [--failover] [--out DIR] [--only PHASE,...] [--keep (the work directory and its logs)]: ceiling, hub
// ingestion, alarm latency, soak, restart, edge footprint (--nats: also ceiling and ingestion through the three-node NATS
// cluster of deploy/nats; --failover: ten kill -9 of the active of two HA hubs on PostgreSQL); writes
// bench/results/<date>.json and a table; last line "RESULT ...". See docs/performance.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var quick = args.Contains("--quick");
var repo = FindRepo();
var outDir = Arg("--out") ?? Path.Combine(repo, "bench", "results");
var config = Arg("--config") ?? "Release";
var only = Arg("--only")?.Split(',') ?? [];
var hubDll = Path.Combine(repo, "src", "Somnis.Hub", "bin", config, "net10.0", "Somnis.Hub.dll");
// The edge is measured as it is deployed: a self-contained, trimmed publish run through its own executable
// (deploy/systemd/somnis-edge.service), here for this machine's runtime identifier.
var edgeRid = RuntimeInformation.RuntimeIdentifier;
var edgeExe = Path.Combine(repo, "src", "Somnis.Edge", "bin", config, "net10.0", edgeRid, "publish", "Somnis.Edge");
if (!File.Exists(hubDll))
{
    await Console.Error.WriteLineAsync($"somnis-bench: {hubDll} is missing; build first (dotnet build -c {config})");
    return 2;
}

var failover = args.Contains("--failover") || only.Contains("failover");
if ((only.Length == 0 || only.Contains("edge") || failover) && !File.Exists(edgeExe))
{
    await Console.Error.WriteLineAsync(
        $"somnis-bench: {edgeExe} is missing; publish first (dotnet publish src/Somnis.Edge -c {config} -r {edgeRid} --self-contained)");
    return 2;
}

var work = Directory.CreateTempSubdirectory("somnis-bench-").FullName;
var plan = quick ? Plan.Quick : Plan.Full;
if (Arg("--messages-per-bed") is { } mpb)
{
    plan = plan with { MessagesPerBed = int.Parse(mpb, CultureInfo.InvariantCulture) };
}

if (Arg("--beds") is { } beds)
{
    plan = plan with { Beds = int.Parse(beds, CultureInfo.InvariantCulture) };
}

if (Arg("--connections") is { } connections)
{
    plan = plan with { Connections = int.Parse(connections, CultureInfo.InvariantCulture) };
}

if (Arg("--inflight") is { } inflight)
{
    plan = plan with { Inflight = int.Parse(inflight, CultureInfo.InvariantCulture) };
}

if (Arg("--padding") is { } padding)
{
    plan = plan with { Padding = int.Parse(padding, CultureInfo.InvariantCulture) };
}

if (Arg("--warm-up") is { } warmUp)
{
    plan = plan with { WarmUpSeconds = int.Parse(warmUp, CultureInfo.InvariantCulture) };
}

if (Arg("--restart-hours") is { } restartHours)
{
    plan = plan with { RestartHours = int.Parse(restartHours, CultureInfo.InvariantCulture) };
}

if (args.Contains("--no-latency"))
{
    plan = plan with { LatencySeconds = 0 };
}
var results = new JsonObject
{
    ["date"] = TimeProvider.System.GetUtcNow().ToString("o"),
    ["mode"] = quick ? "quick" : "full",
    ["machine"] = Machine.Describe(),
    // The shared machine's load average (1, 5, 15 min) at the start: other work running beside the benchmark.
    ["load_average"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
    ["plan"] = JsonSerializer.SerializeToNode(plan, BenchJson.Default.Plan),
};
var table = new List<(string Name, string Value)>();
void Report(string name, string value)
{
    table.Add((name, value));
    Console.WriteLine($"  {name,-44} {value}");
}

Console.WriteLine($"somnis-bench: {(quick ? "quick" : "full")} run, work directory {work}");
var total = Stopwatch.StartNew();
try
{
    var phases = new Phases(plan, hubDll, edgeExe, work, Report, results);
    bool Run(string phase)
    {
        var run = only.Length == 0 || only.Contains(phase);
        if (run)
        {
            // Progress: a phase can take minutes before its first result line.
            Console.WriteLine($"somnis-bench: [{total.Elapsed.TotalSeconds:0} s] phase {phase}");
        }

        return run;
    }

    if (Run("ceiling"))
    {
        await phases.CeilingAsync();
    }

    if (Run("hub"))
    {
        await phases.HubAsync();
    }

    if (plan.RestartHours > 0 && Run("restart"))
    {
        await phases.RestartAsync();
    }

    if (Run("edge"))
    {
        await phases.EdgeAsync();
    }

    // Through the three-node NATS cluster (deploy/nats): only when asked for, with --nats or --only nats.
    if ((args.Contains("--nats") || only.Contains("nats")) && Run("nats"))
    {
        await phases.NatsAsync();
    }

    // Two HA hubs on PostgreSQL, the active killed ten times: only when asked for, with --failover or --only failover.
    if (failover && Run("failover"))
    {
        await phases.FailoverAsync();
    }

    if (Run("micro"))
    {
        await phases.MicroAsync(Path.Combine(repo, "bench", "Somnis.Bench.Micro", "bin", config, "net10.0", "Somnis.Bench.Micro.dll"));
    }
}
catch (Exception ex)
{
    await Console.Error.WriteLineAsync($"somnis-bench: failed: {ex}");
    results["error"] = ex.Message;
}

results["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1);
Directory.CreateDirectory(outDir);
var stamp = TimeProvider.System.GetUtcNow().ToString(quick ? "yyyy-MM-dd'-quick'" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
var file = Path.Combine(outDir, $"{stamp}.json");
await File.WriteAllTextAsync(file, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
var tableFile = Path.ChangeExtension(file, ".txt");
await File.WriteAllLinesAsync(tableFile, table.Select(t => $"{t.Name,-44} {t.Value}"));
Console.WriteLine($"somnis-bench: {total.Elapsed.TotalSeconds:0} s; results in {file} and {tableFile}");
double Num(string key) => results.TryGetPropertyValue(key, out var n) && n is not null ? n.GetValue<double>() : double.NaN;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT ingest_ratio={Num("ingest_ratio"):0.00} hub_msgs_per_s={Num("hub_msgs_per_s"):0} ceiling_msgs_per_s={Num("ceiling_msgs_per_s"):0} alarm_p99_ms={Num("alarm_p99_ms"):0} hub_rss_mb={Num("hub_rss_mb"):0}"));
if (results.ContainsKey("nats_ingest_ratio"))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT nats_ingest_ratio={Num("nats_ingest_ratio"):0.00} nats_hub_msgs_per_s={Num("nats_hub_msgs_per_s"):0} nats_ceiling_msgs_per_s={Num("nats_ceiling_msgs_per_s"):0}"));
}

if (results.ContainsKey("failover_ready_median_s"))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT failover_ready_median_s={Num("failover_ready_median_s"):0.00} failover_ready_max_s={Num("failover_ready_max_s"):0.00} failover_alarm_median_s={Num("failover_alarm_median_s"):0.00} failover_alarm_max_s={Num("failover_alarm_max_s"):0.00}"));
}

if (!results.ContainsKey("error") && !args.Contains("--keep"))
{
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
    }
}
else
{
    Console.WriteLine($"somnis-bench: logs kept in {work}");
}

return results.ContainsKey("error") ? 1 : 0;

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Somnis.Facility.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
}

using System.Text.Json.Serialization;

namespace Somnis.Bench;

/// <summary>What one run does. <see cref="Full"/> is the benchmark; <see cref="Quick"/> fits in under 3 minutes with the same method.</summary>
/// <param name="Beds">Beds of the throughput fleet (and of the soak night).</param>
/// <param name="MessagesPerBed">Intervals per bed pushed in the ceiling and hub throughput runs.</param>
/// <param name="Connections">MQTT connections of the generator (beds spread over them).</param>
/// <param name="Inflight">Publishes awaiting PUBACK per connection.</param>
/// <param name="LatencyBeds">Beds per latency level (half of them on the architect-deprivation scenario).</param>
/// <param name="LatencyPreRollMinutes">Event time pushed unmeasured before each latency window, to reach the part of the night where alarms are raised.</param>
/// <param name="LatencySeconds">Length of each latency window, real seconds.</param>
/// <param name="SoakHours">Event hours of the soak night at <see cref="Beds"/> beds (0: no soak).</param>
/// <param name="EdgeSeconds">Real-time seconds each edge footprint run lasts.</param>
/// <param name="EdgeFleetBeds">Beds of the fleet-mode edge footprint run.</param>
/// <param name="Micro">Run the BenchmarkDotNet micro-benchmarks ("short" or "quick" job), or "none".</param>
/// <param name="WarmUpSeconds">Longest warm-up of the hub before its throughput runs, real seconds (it ends earlier once the tiered compiler is quiet).</param>
/// <param name="Padding">Extra bytes in every throughput payload (an ignored JSON member), to see the effect of message size; 0 = real messages.</param>
/// <param name="RestartHours">Event hours of <see cref="Beds"/> beds' night before the hub is killed and restarted (0: no restart phase).</param>
internal sealed record Plan(
    int Beds,
    int MessagesPerBed,
    int Connections,
    int Inflight,
    int LatencyBeds,
    int LatencyPreRollMinutes,
    int LatencySeconds,
    int SoakHours,
    int EdgeSeconds,
    int EdgeFleetBeds,
    string Micro,
    int WarmUpSeconds,
    int Padding = 0,
    int RestartHours = 0)
{
    public static Plan Full { get; } = new(1000, 200, 8, 256, 200, 40, 30, 8, 120, 50, "short", 45, RestartHours: 4);

    public static Plan Quick { get; } = new(1000, 40, 8, 256, 100, 40, 8, 0, 20, 50, "quick", 20);

    [JsonIgnore]
    public TimeSpan WarmUpLimit => TimeSpan.FromSeconds(WarmUpSeconds);
}

[JsonSerializable(typeof(Plan))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BenchJson : JsonSerializerContext;

internal static class Machine
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memGb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memGb:0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}

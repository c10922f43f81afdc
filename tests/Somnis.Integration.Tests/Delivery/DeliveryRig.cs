using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Delivery;

/// <summary>
/// The whole delivery path as separate real processes: a simulated fleet (edge process with a journal) → optionally a
/// <see cref="TcpProxy"/> → a real Mosquitto (persistence on, <c>set_tcp_nodelay true</c>) → a hub process. Faults are
/// applied to the real processes; every wait is on observable state (the hub's API, process output), never a sleep.
/// </summary>
public sealed class DeliveryRig : IAsyncDisposable
{
    public const string Facility = "fault";
    private readonly string[] _edgeArgs;

    private DeliveryRig(Mosquitto broker, HubProcess hub, TcpProxy? proxy, string journal, int beds, string[] edgeArgs)
    {
        Broker = broker;
        Hub = hub;
        Proxy = proxy;
        JournalDirectory = journal;
        Beds = beds;
        _edgeArgs = edgeArgs;
        Edge = StartEdge();
    }

    public Mosquitto Broker { get; }

    public HubProcess Hub { get; }

    public TcpProxy? Proxy { get; }

    public DotnetProcess Edge { get; private set; }

    public string JournalDirectory { get; }

    public int Beds { get; }

    /// <summary>Everything the edge processes of this rig printed (all runs).</summary>
    public string EdgeOutput => _previousOutput + Edge.Output;

    private string _previousOutput = "";

    /// <summary>Starts broker, hub and an edge with <paramref name="beds"/> simulated beds at <paramref name="speed"/>.</summary>
    public static async Task<DeliveryRig> StartAsync(int beds, double speed, bool viaProxy = false, params string[] extraEdgeArgs)
    {
        var broker = await Mosquitto.StartAsync();
        var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0", "--Delivery:ResendAfter", "00:00:02");
        var proxy = viaProxy ? new TcpProxy(broker.Port) : null;
        var journal = Directory.CreateTempSubdirectory("somnis-journal-").FullName;
        string[] args =
        [
            "--broker", proxy?.Url ?? broker.Url, "--facility", Facility, "--beds", beds.ToString(CultureInfo.InvariantCulture),
            "--speed", speed.ToString(CultureInfo.InvariantCulture), "--seed", "11", "--scenario", "mix", "--journal", journal,
            "--replay-rate", "5000", "--Edge:StatusInterval", "00:00:01", "--Edge:KeepAlive", "00:00:02", "--Edge:ReconnectMaxDelay", "00:00:01",
            .. extraEdgeArgs,
        ];
        return new DeliveryRig(broker, hub, proxy, journal, beds, args);
    }

    public DotnetProcess StartEdge() => DotnetProcess.Start(RepoPaths.EdgeDll, _edgeArgs);

    /// <summary>kill -9 the edge and start it again on the same journal.</summary>
    public async Task RestartEdgeAfterKillAsync()
    {
        Edge.Kill();
        _previousOutput += Edge.Output;
        await Edge.DisposeAsync();
        Edge = StartEdge();
    }

    /// <summary>Each bed's <c>delivery</c> object from <c>GET /api/beds/{id}</c>.</summary>
    public async Task<Dictionary<string, JsonElement>> DeliveryAsync()
    {
        var result = new Dictionary<string, JsonElement>();
        foreach (var bed in await Hub.BedsAsync())
        {
            var id = bed.GetProperty("id").GetString()!;
            var one = await Hub.Http.GetFromJsonAsync<JsonElement>($"/api/beds/{id}?facility={Facility}");
            if (one.TryGetProperty("delivery", out var d) && d.ValueKind == JsonValueKind.Object)
            {
                result[id] = d;
            }
        }

        return result;
    }

    /// <summary>The lowest highest-received sequence number over all beds (0 until every bed has reported).</summary>
    public async Task<long> MinLastSequenceAsync()
    {
        var beds = await Hub.BedsAsync();
        return beds.Length < Beds ? 0 : beds.Min(b => b.TryGetProperty("delivery", out var d) && d.ValueKind == JsonValueKind.Object ? d.GetProperty("lastSequence").GetInt64() : 0);
    }

    /// <summary>Waits until every bed's data reached <paramref name="minSeq"/> at the hub.</summary>
    public Task WaitForSequenceAsync(long minSeq, string what, int timeoutSeconds = 120) =>
        Eventually.UntilAsync(async () => await MinLastSequenceAsync() >= minSeq, TimeSpan.FromSeconds(timeoutSeconds), $"{what} (every bed at sequence {minSeq})");

    /// <summary>Waits until every bed moved at least <paramref name="more"/> sequence numbers past where it is now.</summary>
    public async Task<long> WaitForProgressAsync(long more, string what)
    {
        var target = await MinLastSequenceAsync() + more;
        await WaitForSequenceAsync(target, what);
        return target;
    }

    public async Task WaitForEdgeOutputAsync(string text, int atLeast, string what, int timeoutSeconds = 120)
    {
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(Count(EdgeOutput, text) >= atLeast), TimeSpan.FromSeconds(timeoutSeconds), what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- edge tail ---\n{Tail(EdgeOutput)}", ex);
        }
    }

    public static int Count(string haystack, string needle)
    {
        var n = 0;
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>
    /// Waits until the running edge has caught up (the hub sees no bed with a backlog held at the bedside or missing
    /// numbers), then SIGTERM: the edge delivers whatever is left (up to 10 s), reports offline and exits 0.
    /// </summary>
    public async Task StopEdgeAsync()
    {
        await Eventually.UntilAsync(
            async () => (await DeliveryAsync()) is { } all && all.Count == Beds
                && all.Values.All(d => d.GetProperty("backlog").GetInt64() == 0 && d.GetProperty("missing").GetInt64() == 0),
            TimeSpan.FromSeconds(120),
            "every bed to catch up (no backlog, nothing missing)");

        using (var term = Process.Start("kill", ["-TERM", Edge.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        Assert.Equal(0, await Edge.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// After the edge stopped cleanly: waits until the hub holds every sequence number up to the last one each bed
    /// assigned (read from the bed's journal state, written on the clean stop): nothing missing, the highest received
    /// at least the edge's own last number, and received + lost accounts for all of them. (Whatever the edge may still hold
    /// then, <c>backlog</c>, can only be copies of numbers the hub already has; it is shown in the test output.)
    /// </summary>
    public async Task<Dictionary<string, JsonElement>> WaitCompleteAsync(int timeoutSeconds = 120)
    {
        Dictionary<string, JsonElement>? last = null;
        try
        {
            return await Eventually.UntilAsync(
                async () =>
                {
                    last = await DeliveryAsync();
                    return last.Count == Beds && last.All(kv =>
                        kv.Value.GetProperty("missing").GetInt64() == 0
                        // At least the edge's own last number (its state file can trail the last assignment by a
                        // write; the hub can never hold a number the edge did not assign), with no hole below it.
                        && kv.Value.GetProperty("lastSequence").GetInt64() >= EdgeLastSequence(kv.Key)
                        && kv.Value.GetProperty("received").GetInt64() + kv.Value.GetProperty("lost").GetInt64() == kv.Value.GetProperty("lastSequence").GetInt64())
                        ? last
                        : null;
                },
                TimeSpan.FromSeconds(timeoutSeconds),
                "every bed complete at the hub");
        }
        catch (TimeoutException ex)
        {
            var detail = last is null ? "" : string.Join("\n", last.Select(kv => $"{kv.Key}: {kv.Value}"));
            throw new TimeoutException($"{ex.Message}\n{detail}\n--- edge tail ---\n{Tail(EdgeOutput)}\n--- hub tail ---\n{Tail(Hub.Process.Output)}", ex);
        }
    }

    /// <summary>The last sequence number a bed assigned, from its journal's state file (written on the clean stop).</summary>
    public long EdgeLastSequence(string bed) =>
        long.Parse(File.ReadAllText(Path.Combine(JournalDirectory, Facility, bed, "state")).Split(' ')[3], CultureInfo.InvariantCulture);

    private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    public async ValueTask DisposeAsync()
    {
        // Each part is stopped even if another one fails to: no process may outlive the test.
        try
        {
            await Edge.DisposeAsync();
        }
        finally
        {
            try
            {
                if (Proxy is not null)
                {
                    await Proxy.DisposeAsync();
                }
            }
            finally
            {
                try
                {
                    await Hub.DisposeAsync();
                }
                finally
                {
                    await Broker.DisposeAsync();
                }
            }
        }

        try
        {
            Directory.Delete(JournalDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

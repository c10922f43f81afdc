using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Delivery;

/// <summary>
/// The whole delivery path as separate real processes: a simulated fleet (edge process with a journal) → a real
/// Mosquitto (persistence on, <c>set_tcp_nodelay true</c>) → a hub process. With <c>cuttable</c> the edge reaches the
/// broker over a link the test can cut: a veth pair into a network namespace of the test's own (<see cref="VethLink"/>),
/// or, where the machine does not allow that (not root), a <see cref="TcpCut"/>; <see cref="NetworkDescription"/>
/// says which. Faults are applied to the real processes; every wait is on observable state (the hub's API, process
/// output, counted over all of it), never a sleep. <see cref="StartOnBrokerAsync"/> runs the same rig on a broker the test
/// started itself (a <see cref="NatsCluster"/>).
/// </summary>
public sealed class DeliveryRig : IAsyncDisposable
{
    public const string DefaultFacility = "fault";
    private readonly Mosquitto? _broker;
    private readonly string[] _edgeArgs;
    private readonly bool _ownJournal;
    private readonly List<DotnetProcess> _previousEdges = [];

    private DeliveryRig(Mosquitto? broker, HubProcess hub, VethLink? link, TcpCut? proxy, string network, string journal, bool ownJournal, int beds, string[] edgeArgs, string facility = DefaultFacility)
    {
        _broker = broker;
        Facility = facility;
        Hub = hub;
        Link = link;
        Proxy = proxy;
        NetworkDescription = network;
        JournalDirectory = journal;
        _ownJournal = ownJournal;
        Beds = beds;
        _edgeArgs = edgeArgs;
        Edge = StartEdge();
    }

    /// <summary>The rig's own Mosquitto (not with <see cref="StartOnBrokerAsync"/>).</summary>
    public Mosquitto Broker => _broker ?? throw new InvalidOperationException("this rig runs on a broker the test started");

    /// <summary>The facility of the rig's beds.</summary>
    public string Facility { get; }

    public HubProcess Hub { get; }

    /// <summary>The veth link the edge reaches the broker through (null without <c>cuttable</c> or when unavailable).</summary>
    public VethLink? Link { get; }

    /// <summary>The fallback: a TCP proxy between edge and broker, used only when <see cref="VethLink"/> is unavailable.</summary>
    public TcpCut? Proxy { get; }

    /// <summary>How the edge reaches the broker, for the test output.</summary>
    public string NetworkDescription { get; }

    public DotnetProcess Edge { get; private set; }

    public string JournalDirectory { get; }

    public int Beds { get; }

    /// <summary>Everything the edge processes of this rig printed (all runs; each run's tail only).</summary>
    public string EdgeOutput => string.Concat(_previousEdges.Select(e => e.Output)) + Edge.Output;

    /// <summary>Every line the edge processes of this rig printed (all runs, whole).</summary>
    public IEnumerable<string> EdgeLines => _previousEdges.SelectMany(e => e.Lines).Concat(Edge.Lines);

    /// <summary>How many lines of all edge runs contain <paramref name="text"/>; never goes down.</summary>
    public int EdgeCount(string text) => _previousEdges.Sum(e => e.CountLines(text)) + Edge.CountLines(text);

    /// <summary>Starts broker, hub and an edge with <paramref name="beds"/> simulated beds at <paramref name="speed"/>.</summary>
    /// <param name="cuttable">The edge reaches the broker over a link that <see cref="CutNetwork"/> can cut.</param>
    /// <param name="journal">The journal directory (default: a fresh temporary one, removed with the rig).</param>
    public static async Task<DeliveryRig> StartAsync(int beds, double speed, bool cuttable = false, string? journal = null, params string[] extraEdgeArgs)
    {
        VethLink? link = null;
        var network = "direct (loopback)";
        if (cuttable)
        {
            link = VethLink.TryCreate(out var whyNot);
            network = link is not null ? link.Describe() : $"TCP proxy on loopback (FALLBACK: no network namespace: {whyNot})";
        }

        try
        {
            var broker = await Mosquitto.StartAsync(alsoListenOn: link?.HostAddress);
            var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0", "--Delivery:ResendAfter", "00:00:02");
            var proxy = cuttable && link is null ? new TcpCut(broker.Port) : null;
            var ownJournal = journal is null;
            journal ??= Directory.CreateTempSubdirectory("somnis-journal-").FullName;
            var url = link is not null ? $"mqtt://{link.HostAddress}:{broker.Port}" : proxy?.Url ?? broker.Url;
            return new DeliveryRig(broker, hub, link, proxy, network, journal, ownJournal, beds, EdgeArgs(url, DefaultFacility, beds, speed, journal, extraEdgeArgs));
        }
        catch
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// The rig on brokers the test started and owns (e.g. the nodes of a <see cref="NatsCluster"/>): a hub with
    /// <paramref name="hubArgs"/> (its <c>--broker</c> list, version, credentials) and an edge on <paramref name="edgeBrokers"/>
    /// with <paramref name="edgeArgs"/> besides the rig's own, on a direct loopback network.
    /// </summary>
    public static async Task<DeliveryRig> StartOnBrokerAsync(string facility, int beds, double speed, string[] hubArgs, string edgeBrokers, string[] edgeArgs)
    {
        var hub = await HubProcess.StartAsync(["--beds", "0", "--Delivery:ResendAfter", "00:00:02", .. hubArgs]);
        var journal = Directory.CreateTempSubdirectory("somnis-journal-").FullName;
        return new DeliveryRig(null, hub, null, null, "direct (loopback)", journal, ownJournal: true, beds, EdgeArgs(edgeBrokers, facility, beds, speed, journal, edgeArgs), facility);
    }

    private static string[] EdgeArgs(string broker, string facility, int beds, double speed, string journal, string[] extra) =>
    [
        "--broker", broker, "--facility", facility, "--beds", beds.ToString(CultureInfo.InvariantCulture),
        "--speed", speed.ToString(CultureInfo.InvariantCulture), "--seed", "11", "--scenario", "mix", "--journal", journal,
        "--replay-rate", "5000", "--Edge:StatusInterval", "00:00:01", "--Edge:KeepAlive", "00:00:02", "--Edge:ReconnectMaxDelay", "00:00:01",
        .. extra,
    ];

    public DotnetProcess StartEdge() => DotnetProcess.StartWrapped(Link?.ExecPrefix ?? [], RepoPaths.EdgeDll, _edgeArgs);

    /// <summary>Cuts the network between edge and broker (veth link down, or the proxy's black hole).</summary>
    public void CutNetwork()
    {
        if (Link is not null)
        {
            Link.Cut();
        }
        else
        {
            (Proxy ?? throw new InvalidOperationException("the rig was started without a cuttable network")).Cut();
        }
    }

    public void RestoreNetwork()
    {
        if (Link is not null)
        {
            Link.Restore();
        }
        else
        {
            Proxy!.Restore();
        }
    }

    /// <summary>kill -9 the edge and start it again on the same journal.</summary>
    public async Task RestartEdgeAfterKillAsync()
    {
        Edge.Kill();
        await Edge.DisposeAsync();
        _previousEdges.Add(Edge);
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

    /// <summary>
    /// Holes in each bed's stored history (<c>GET /api/beds/{id}/vitals</c>): consecutive vitals further apart than
    /// one and a half intervals. The simulated beds measure without a break, so any hole is history the hub accepted
    /// (and acknowledged) but did not keep.
    /// </summary>
    public async Task<List<string>> HistoryHolesAsync()
    {
        var holes = new List<string>();
        foreach (var bed in await Hub.BedsAsync())
        {
            var id = bed.GetProperty("id").GetString()!;
            var history = await Hub.Http.GetFromJsonAsync<JsonElement>($"/api/beds/{id}/vitals?facility={Facility}&limit=50000");
            var points = history.GetProperty("points").EnumerateArray().ToArray();
            if (history.GetProperty("truncated").GetBoolean() || points.Length == 0)
            {
                holes.Add($"{id}: {points.Length} points stored, truncated: {history.GetProperty("truncated")}");
            }

            for (var i = 1; i < points.Length; i++)
            {
                var previous = points[i - 1].GetProperty("ts").GetDateTimeOffset();
                var ts = points[i].GetProperty("ts").GetDateTimeOffset();
                if ((ts - previous).TotalSeconds > 1.5 * points[i].GetProperty("intervalSeconds").GetDouble())
                {
                    holes.Add($"{id}: no vitals stored between {previous:O} (seq {points[i - 1].GetProperty("seq").GetInt64()}) and {ts:O} (seq {points[i].GetProperty("seq").GetInt64()})");
                }
            }
        }

        return holes;
    }

    /// <summary>
    /// Waits until the hub has saved a delivery checkpoint that covers everything it shows now, and returns what it
    /// showed (each bed's <c>delivery</c> object). A save under way when this starts may have taken its snapshot
    /// earlier, so it waits for the save after that one (<c>somnis_delivery_checkpoints_total</c> up by two: saves
    /// run one after the other). A hub that saves nothing for <see cref="HubStall"/> is stuck.
    /// </summary>
    public async Task<Dictionary<string, JsonElement>> WaitForCheckpointAsync(string what)
    {
        var shown = await DeliveryAsync();
        var saved = await Hub.MetricAsync("somnis_delivery_checkpoints_total");
        await Eventually.UntilAsync(async () => await Hub.MetricAsync("somnis_delivery_checkpoints_total") >= saved + 2, HubStall, what);
        return shown;
    }

    /// <summary>The lowest highest-received sequence number over all beds (0 until every bed has reported).</summary>
    public async Task<long> MinLastSequenceAsync()
    {
        var beds = await Hub.BedsAsync();
        return beds.Length < Beds ? 0 : beds.Min(b => b.TryGetProperty("delivery", out var d) && d.ValueKind == JsonValueKind.Object ? d.GetProperty("lastSequence").GetInt64() : 0);
    }

    /// <summary>A hub that ingests nothing for this long is stuck (a loaded machine only makes it slow).</summary>
    public static readonly TimeSpan HubStall = TimeSpan.FromSeconds(60);

    /// <summary>The longest any one wait on the hub may take, however slowly it moves.</summary>
    public static readonly TimeSpan HubWaitMax = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Waits until <paramref name="done"/> holds for the beds' <c>delivery</c> objects, for as long as the hub keeps
    /// ingesting (on a loaded machine it may drain the broker's queue at a tenth of its usual speed; only a hub that
    /// stopped moving for <see cref="HubStall"/> fails the wait).
    /// </summary>
    public Task<Dictionary<string, JsonElement>> WaitForHubAsync(Func<Dictionary<string, JsonElement>, bool> done, string what) =>
        Eventually.WhileProgressingAsync(DeliveryAsync, d => d.Count == Beds && done(d), Ingested, HubStall, HubWaitMax, what);

    /// <summary>Everything the hub has taken in for the rig's beds: it only grows while the hub ingests.</summary>
    private static long Ingested(Dictionary<string, JsonElement> beds) => beds.Values.Sum(d =>
        d.GetProperty("received").GetInt64() + d.GetProperty("duplicates").GetInt64() + d.GetProperty("lost").GetInt64()
        + d.GetProperty("lastSequence").GetInt64() + d.GetProperty("edgeSequence").GetInt64());

    /// <summary>Waits until every bed's data reached <paramref name="minSeq"/> at the hub.</summary>
    public Task WaitForSequenceAsync(long minSeq, string what) =>
        WaitForHubAsync(d => d.Values.All(b => b.GetProperty("lastSequence").GetInt64() >= minSeq), $"{what} (every bed at sequence {minSeq})");

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
            await Eventually.UntilAsync(() => Task.FromResult(EdgeCount(text) >= atLeast), TimeSpan.FromSeconds(timeoutSeconds), what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- edge tail ---\n{Tail(EdgeOutput)}", ex);
        }
    }

    /// <summary>
    /// Waits until the running edge has caught up (the hub sees no bed with a backlog held at the bedside or missing
    /// numbers), then SIGTERM: the edge delivers whatever is left (for up to 10 s, reconnecting if needed), reports
    /// offline and exits 0. If it still had to leave messages journaled (it says so; seen on a heavily loaded machine),
    /// it is started again on its journal, which delivers them, and stopped again: that is the guarantee for data left
    /// at a stop.
    /// </summary>
    public async Task StopEdgeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            await WaitForHubAsync(
                all => all.Values.All(d => d.GetProperty("backlog").GetInt64() == 0 && d.GetProperty("missing").GetInt64() == 0),
                "every bed to catch up (no backlog, nothing missing)");

            using (var term = Process.Start("kill", ["-TERM", Edge.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            Assert.Equal(0, await Edge.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            if (Edge.CountLines("still journaled") == 0)
            {
                return;
            }

            Assert.True(attempt < 3, $"the edge stopped with messages still journaled {attempt} times in a row:\n{Tail(Edge.Output)}");
            await Edge.DisposeAsync();
            _previousEdges.Add(Edge);
            Edge = StartEdge();
        }
    }

    /// <summary>
    /// After the edge stopped cleanly: waits until the hub holds every sequence number up to the last one each bed
    /// assigned (read from the bed's journal state, written on the clean stop): nothing missing, the highest received
    /// at least the edge's own last number, and received + lost accounts for all of them. (Whatever the edge may still hold
    /// then, <c>backlog</c>, can only be copies of numbers the hub already has; it is shown in the test output.)
    /// </summary>
    public async Task<Dictionary<string, JsonElement>> WaitCompleteAsync()
    {
        Dictionary<string, JsonElement>? last = null;
        try
        {
            return await WaitForHubAsync(
                all =>
                {
                    last = all;
                    return all.All(kv =>
                        kv.Value.GetProperty("missing").GetInt64() == 0
                        // At least the edge's own last number (its state file can trail the last assignment by a
                        // write; the hub can never hold a number the edge did not assign), with no hole below it.
                        && kv.Value.GetProperty("lastSequence").GetInt64() >= EdgeLastSequence(kv.Key)
                        && kv.Value.GetProperty("received").GetInt64() + kv.Value.GetProperty("lost").GetInt64() == kv.Value.GetProperty("lastSequence").GetInt64());
                },
                "every bed complete at the hub");
        }
        catch (TimeoutException ex)
        {
            var detail = last is null ? "" : string.Join("\n", last.Select(kv => $"{kv.Key}: {kv.Value}; edge journal state: {StateText(kv.Key)}"));
            var runs = $"edge runs: {_previousEdges.Count + 1}; stops that left data: {EdgeCount("still journaled")}; "
                + $"edge lines about the final drain: {string.Join(" | ", Edge.Lines.Where(l => l.Contains("publish failed", StringComparison.Ordinal) || l.Contains("still journaled", StringComparison.Ordinal)).TakeLast(5))}";
            var broker = string.Join("\n", _broker?.LogLines("edge-" + Facility).TakeLast(12) ?? ["(not the rig's own broker)"]);
            throw new TimeoutException($"{ex.Message}\n{detail}\n{runs}\n--- broker, edge clients ---\n{broker}\n--- edge tail ---\n{Tail(EdgeOutput)}\n--- hub tail ---\n{Tail(Hub.Process.Output)}", ex);
        }
    }

    /// <summary>The last sequence number a bed assigned, from its journal's state file (written on the clean stop).</summary>
    public long EdgeLastSequence(string bed) => long.Parse(State(bed)[3], CultureInfo.InvariantCulture);

    /// <summary>How many data messages the bed's journal dropped (bound, disk full, corruption) in all its runs, from
    /// its state file (written on the clean stop): the edge's own count, whatever its log kept.</summary>
    public long EdgeDropped(string bed) => long.Parse(State(bed)[5], CultureInfo.InvariantCulture);

    private string StateText(string bed)
    {
        try
        {
            return File.ReadAllText(Path.Combine(JournalDirectory, Facility, bed, "state"));
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    // "v1 ackedBelow nextIndex lastSeq lastEventMs dropped", replaced atomically (rename): never read half-written.
    private string[] State(string bed) => File.ReadAllText(Path.Combine(JournalDirectory, Facility, bed, "state")).Split(' ');

    private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    public async ValueTask DisposeAsync()
    {
        // Each part is stopped even if another one fails to: no process, namespace or link may outlive the test.
        try
        {
            await Edge.DisposeAsync();
        }
        finally
        {
            try
            {
                if (Link is not null)
                {
                    await Link.DisposeAsync();
                }

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
                    if (_broker is not null)
                    {
                        await _broker.DisposeAsync();
                    }
                }
            }
        }

        if (_ownJournal)
        {
            try
            {
                Directory.Delete(JournalDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

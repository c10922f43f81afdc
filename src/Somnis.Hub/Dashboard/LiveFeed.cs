using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Somnis.Hub.Alarms;
using Somnis.Hub.Beds;

namespace Somnis.Hub.Dashboard;

/// <summary>
/// Pushes bed changes to every connected dashboard over server-sent events. Changes are coalesced per bed and
/// sent at most every <see cref="Period"/>; a new client first gets every bed. A client too slow to keep up is
/// disconnected; its browser reconnects by itself and starts again from a full snapshot, so nothing is shown stale.
/// </summary>
internal sealed class LiveFeed(BedRegistry beds, TimeProvider time, ILogger<LiveFeed> logger, AlarmEngine? alarms = null, ArchitectInterlock? interlock = null,
    Cluster.ClusterRole? role = null) : BackgroundService
{
    // One second: a bed's tile is at most a second behind (alarms do not wait for the tick). Each tick serialises every
    // changed bed, and with accelerated nights every bed changes on every tick, so the period sets the feed's share of
    // the hub's CPU (docs/performance.md, "What was changed", live feed); a technician does not read a tile four times
    // a second.
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private const int ClientBuffer = 20_000;
    private readonly Lock _sync = new();
    private readonly List<Channel<SseItem<string>>> _clients = [];
    private readonly Dictionary<(string, string), bool> _lastStale = [];

    public int Clients
    {
        get
        {
            lock (_sync)
            {
                return _clients.Count;
            }
        }
    }

    public async IAsyncEnumerable<SseItem<string>> Subscribe([EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(ClientBuffer) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        foreach (var bed in beds.All())
        {
            channel.Writer.TryWrite(BedEvent(bed));
        }

        // Then every open alarm and every bed's Architect interlock state, when the alarm feature is on.
        foreach (var alarm in alarms?.Open() ?? [])
        {
            channel.Writer.TryWrite(AlarmEvent(alarm));
        }

        foreach (var interlock in interlock?.All() ?? [])
        {
            channel.Writer.TryWrite(InterlockEvent(interlock));
        }

        // The end of the snapshot: what follows is news. A console sounds its audible cue only for alarms after this.
        channel.Writer.TryWrite(new SseItem<string>("snapshot-end", "ready"));

        lock (_sync)
        {
            _clients.Add(channel);
        }

        try
        {
            // A first event right away so proxies and browsers see the stream open. It names the node and its role, so a
            // dashboard that reconnects through a load balancer sees when it reached another hub (docs/high-availability.md).
            var self = role ?? Cluster.ClusterRole.Single;
            yield return new SseItem<string>(JsonSerializer.Serialize(new Cluster.FeedHello(self.Node, self.RoleName), HubJsonContext.Default.FeedHello), "connected");
            await foreach (var item in channel.Reader.ReadAllAsync(ct))
            {
                yield return item;
            }
        }
        finally
        {
            lock (_sync)
            {
                _clients.Remove(channel);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                PushChanges();
            }
            catch (Exception ex)
            {
                // By design: a failed push must not end the feed; the next tick tries again.
                Log.LiveFeedFailed(logger, ex);
            }
        }
    }

    internal void PushChanges()
    {
        lock (_sync)
        {
            // Nobody watching: the changes wait in the registry (at most one entry per bed), and a client that connects
            // starts from a full snapshot anyway: serialising them for nobody was CPU spent for nothing
            // (docs/performance.md, "What was changed", live feed).
            if (_clients.Count == 0)
            {
                return;
            }
        }

        beds.MarkStaleTransitions(_lastStale);
        var changed = beds.TakeChanged();
        if (changed.Count == 0)
        {
            return;
        }

        var items = changed.Select(BedEvent).ToList();
        lock (_sync)
        {
            foreach (var client in _clients)
            {
                foreach (var item in items)
                {
                    if (!client.Writer.TryWrite(item))
                    {
                        client.Writer.TryComplete();
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Pushes an alarm change to every client at once (not on the tick: alarm latency counts).</summary>
    public void PushAlarm(Alarm alarm) => PushNow(AlarmEvent(alarm));

    public void PushInterlock(InterlockView view) => PushNow(InterlockEvent(view));

    private void PushNow(SseItem<string> item)
    {
        lock (_sync)
        {
            foreach (var client in _clients)
            {
                if (!client.Writer.TryWrite(item))
                {
                    client.Writer.TryComplete();
                }
            }
        }
    }

    private static SseItem<string> AlarmEvent(Alarm alarm) =>
        new(JsonSerializer.Serialize(alarm, HubJsonContext.Default.Alarm), "alarm");

    private static SseItem<string> InterlockEvent(InterlockView view) =>
        new(JsonSerializer.Serialize(view, HubJsonContext.Default.InterlockView), "interlock");

    private static SseItem<string> BedEvent(BedSummary bed) =>
        new(JsonSerializer.Serialize(bed, HubJsonContext.Default.BedSummary), "bed");
}

internal static class LiveFeedEndpoints
{
    public static void MapLiveFeed(this WebApplication app) =>
        app.MapGet("/api/events", (LiveFeed feed, CancellationToken ct) => TypedResults.ServerSentEvents(feed.Subscribe(ct)))
            .WithTags("Live")
            .WithSummary("Server-sent events: 'bed' with a bed's new state (every bed first, then changes); 'alarm' with an alarm's new state and 'interlock' with a bed's Architect interlock (open ones first, then each change at once); 'ready' once that first snapshot is complete.");
}

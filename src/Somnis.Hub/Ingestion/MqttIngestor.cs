using Microsoft.Extensions.Options;
using MQTTnet;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// The hub's MQTT subscriber: an <see cref="MqttConnection"/> (<see cref="BrokerConnections.Subscriber"/>: broker list,
/// reconnect with jittered backoff, persistent session, resubscribe when the broker has no session), so QoS 1 messages
/// published while the hub was away are delivered when it returns. Each message goes through the
/// <see cref="IngestionPipeline"/>, and is acknowledged (PUBACK) only after the delivery accounting that includes it has
/// been saved (checkpoint every <see cref="DeliveryOptions.CheckpointInterval"/>): a hub killed at any point loses no
/// message and no accounting, because the broker redelivers whatever was not acknowledged and duplicates are dropped by
/// sequence number. Resend requests go out through the <see cref="HubPublisher"/>.
/// </summary>
internal sealed class MqttIngestor(
    BrokerEndpoint endpoint,
    IOptions<BrokerOptions> options,
    IOptions<DeliveryOptions> delivery,
    IngestionPipeline pipeline,
    DeliveryTracker tracker,
    IEnumerable<IBeforeAcknowledge> deferred,
    HubPublisher publisher,
    MqttConnectionMetrics metrics,
    TimeProvider time,
    ILogger<MqttIngestor> logger,
    Cluster.ClusterRole? role = null) : BackgroundService
{
    // Messages applied and not yet acknowledged, of the current connection: a new connection starts a new queue, since
    // the broker redelivers what the old one did not acknowledge (and a checkpoint under way keeps the queue it counted).
    private System.Collections.Concurrent.ConcurrentQueue<MqttApplicationMessageReceivedEventArgs> _unacknowledged = new();

    // Held while a message is applied and queued for acknowledgement, and while a checkpoint takes its snapshot.
    private readonly Lock _cut = new();
    private readonly BrokerStreamProvider _transport = new();
    private MqttConnection? _connection;

    public bool Connected => Volatile.Read(ref _connection)?.IsConnected == true;

    /// <summary>The subscriber's connection, once started.</summary>
    public MqttConnection? Connection => Volatile.Read(ref _connection);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connection = new MqttConnection(BrokerConnections.Subscriber(endpoint, options.Value, _transport), time) { MessageReceived = OnMessage };
        connection.Connecting += _ =>
        {
            lock (_cut)
            {
                _unacknowledged = new();
            }
        };
        connection.Connected += s => Log.BrokerConnected(logger, s.Broker.ToString(), s.SessionPresent);
        connection.ConnectFailed += (broker, ex, _) => Log.BrokerUnreachable(logger, broker.ToString(), ex.Message);
        connection.Disconnected += (broker, reason) => Log.MqttConnectionLost(logger, "subscriber", broker.ToString(), reason);
        connection.PingUnanswered += (broker, timeout) => Log.MqttPingUnanswered(logger, "subscriber", broker.ToString(), timeout);
        metrics.Watch("subscriber", connection);
        Log.MqttConfigured(logger, "subscriber", endpoint.Url, connection.Options.Version.Label(), connection.Options.ClientId);
        Volatile.Write(ref _connection, connection);

        var checkpoints = CheckpointLoopAsync(stoppingToken);
        var resends = ResendLoopAsync(stoppingToken);
        await connection.RunAsync(stoppingToken);
        await checkpoints;
        await resends;
        await CheckpointOnceAsync(CancellationToken.None);
        await connection.DisconnectAsync(TimeSpan.FromSeconds(2));
    }

    private Task OnMessage(MqttApplicationMessageReceivedEventArgs e)
    {
        // Acknowledged by the checkpoint loop once the accounting that includes this message is on disk; queued only
        // after it was applied, so a checkpoint never acknowledges a message its save did not cover.
        e.AutoAcknowledge = false;
        lock (_cut)
        {
            try
            {
                pipeline.Process(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload, e.ApplicationMessage.Retain);
            }
            catch (Exception ex)
            {
                // By design: one message must never stop ingestion; it is acknowledged and logged.
                Log.IngestFailed(logger, e.ApplicationMessage.Topic, ex);
            }

            _unacknowledged.Enqueue(e);
        }

        return Task.CompletedTask;
    }

    private async Task CheckpointLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delivery.Value.CheckpointInterval, time, ct);
                await CheckpointOnceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // By design: unsaved means unacknowledged; the broker keeps (and later redelivers) those messages.
                Log.DeliveryCheckpointFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Asks edges to resend numbers the hub is missing that no replay is filling (docs/protocol.md, "Resend command").</summary>
    private async Task ResendLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
                // While the hub reads nothing, missing numbers may just be waiting at the broker. Only the active hub asks
                // edges for anything (docs/high-availability.md, "Roles").
                if (!Connected || role is { IsActive: false })
                {
                    continue;
                }

                foreach (var (facility, bed, ranges) in tracker.DueForResend())
                {
                    foreach (var (from, to) in ranges)
                    {
                        var command = new CommandMessage { Bed = bed, Action = CommandMessage.Resend, FromSeq = from, ToSeq = to };
                        publisher.Enqueue(new HubMessage(
                            Topics.For(facility, bed, Topics.Command),
                            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(command, SomnisJsonContext.Default.CommandMessage),
                            Retain: false));
                        Log.ResendRequested(logger, bed, from, to);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // By design: the request is repeated after ResendAfter while the numbers stay missing.
                Log.ResendFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Saves the accounting, then acknowledges every message it covers, in the order received.</summary>
    internal async Task CheckpointOnceAsync(CancellationToken ct)
    {
        int covered;
        DeliveryTracker.Checkpoint? snapshot;
        System.Collections.Concurrent.ConcurrentQueue<MqttApplicationMessageReceivedEventArgs> queue;
        lock (_cut)
        {
            // One cut: the snapshot covers exactly the messages applied so far, and those are the ones acknowledged.
            queue = _unacknowledged;
            covered = queue.Count;
            if (covered == 0)
            {
                return;
            }

            snapshot = tracker.Snapshot();
        }

        // Outside the cut, so neither holds up ingestion: first the work features deferred off the ingestion thread
        // (alarm changes, the vitals history; a superset of what the cut covers), then the accounting; only then the
        // acknowledgements. The accounting must not be saved first: a message it counts is a duplicate after a crash,
        // so whatever it caused must already be on disk.
        foreach (var d in deferred)
        {
            await d.BeforeAcknowledgeAsync(ct);
        }

        tracker.Write(snapshot);

        // The acknowledgements leave as one write instead of a system call and a TCP segment each (BrokerStream).
        var hold = _transport.Current?.HoldWrites();
        try
        {
            for (var i = 0; i < covered && queue.TryDequeue(out var e); i++)
            {
                try
                {
                    await e.AcknowledgeAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // By design: the connection that carried it is gone; the broker redelivers it on the new one.
                }
            }
        }
        finally
        {
            if (hold is { } h)
            {
                await FlushAcknowledgementsAsync(h, ct);
            }
        }
    }

    private static async Task FlushAcknowledgementsAsync(BrokerStream.Hold hold, CancellationToken ct)
    {
        try
        {
            await hold.FlushAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // By design: as for one acknowledgement above, the connection is gone and the broker redelivers.
        }
    }
}

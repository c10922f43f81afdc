using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts;
using Somnis.Edge;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// The hub's MQTT subscriber: a hosted reconnect loop (ping, connect, resubscribe) with a persistent session
/// (clean start off, session expiry configured), so QoS 1 messages published while the hub was away are delivered
/// when it returns. Each message goes through the <see cref="IngestionPipeline"/>, and is acknowledged (PUBACK) only
/// after the delivery accounting that includes it has been saved (checkpoint every
/// <see cref="DeliveryOptions.CheckpointInterval"/>): a hub killed at any point loses no message and no accounting,
/// because the broker redelivers whatever was not acknowledged and duplicates are dropped by sequence number.
/// </summary>
internal sealed class MqttIngestor(
    BrokerEndpoint endpoint,
    IOptions<BrokerOptions> options,
    IOptions<DeliveryOptions> delivery,
    IngestionPipeline pipeline,
    DeliveryTracker tracker,
    IEnumerable<IBeforeAcknowledge> deferred,
    TimeProvider time,
    ILogger<MqttIngestor> logger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<MqttApplicationMessageReceivedEventArgs> _unacknowledged = new();

    // Held while a message is applied and queued for acknowledgement, and while a checkpoint takes its snapshot.
    private readonly Lock _cut = new();
    private readonly BrokerStreamProvider _transport = new();
    private IMqttClient? _client;
    private System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _ca;

    public bool Connected => _client?.IsConnected == true;

    internal IMqttClient? Client => _client;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var broker = BrokerAddress.Parse(endpoint.Url);
        _ca = endpoint.Embedded ? null : BrokerTls.LoadCa(o.CaCertificate);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            // Acknowledged by the checkpoint loop once the accounting that includes this message is on disk; queued
            // only after it was applied, so a checkpoint never acknowledges a message its save did not cover.
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
        };

        var checkpoints = CheckpointLoopAsync(stoppingToken);
        var resends = ResendLoopAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await _client.TryPingAsync(stoppingToken))
                {
                    await ConnectAsync(_client, broker, o, stoppingToken);
                    backoff = TimeSpan.FromMilliseconds(200);
                }

                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: the broker being away is normal operation; retry with jittered exponential backoff.
                Log.BrokerUnreachable(logger, endpoint.Url, ex.Message);
                var jitter = 0.5 + Random.Shared.NextDouble();
                try
                {
                    await Task.Delay(backoff * jitter, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 15_000));
            }
        }

        await checkpoints;
        await resends;
        await CheckpointOnceAsync(CancellationToken.None);
        if (_client.IsConnected)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _client.DisconnectAsync(cancellationToken: cts.Token);
        }

        _client.Dispose();
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

    /// <summary>Asks edges to resend numbers the hub is missing that no replay is filling (docs/protocol-delivery.md).</summary>
    private async Task ResendLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
                if (_client is not { IsConnected: true } client)
                {
                    continue;
                }

                foreach (var (facility, bed, ranges) in tracker.DueForResend())
                {
                    foreach (var (from, to) in ranges)
                    {
                        var command = new CommandMessage { Bed = bed, Action = CommandMessage.Resend, FromSeq = from, ToSeq = to };
                        await client.PublishAsync(
                            new MqttApplicationMessageBuilder()
                                .WithTopic(Topics.For(facility, bed, Topics.Command))
                                .WithPayload(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(command, SomnisJsonContext.Default.CommandMessage))
                                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                                .Build(),
                            ct);
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
                Log.BrokerUnreachable(logger, endpoint.Url, ex.Message);
            }
        }
    }

    /// <summary>Saves the accounting, then acknowledges every message it covers, in the order received.</summary>
    internal async Task CheckpointOnceAsync(CancellationToken ct)
    {
        int covered;
        DeliveryTracker.Checkpoint? snapshot;
        lock (_cut)
        {
            // One cut: the snapshot covers exactly the messages applied so far, and those are the ones acknowledged.
            covered = _unacknowledged.Count;
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
            for (var i = 0; i < covered && _unacknowledged.TryDequeue(out var e); i++)
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

    private async Task ConnectAsync(IMqttClient client, BrokerAddress broker, BrokerOptions o, CancellationToken ct)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithStreamProvider(_transport)
            .WithClientId(o.ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds)
            // Acknowledgements wait for the checkpoint: allow enough messages in flight to keep a replay flowing.
            .WithReceiveMaximum((ushort)o.ReceiveMaximum)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (!endpoint.Embedded && o.Username is { Length: > 0 } user)
        {
            builder = builder.WithCredentials(user, o.Password);
        }

        if (broker.Tls)
        {
            builder = builder.WithTlsOptions(BrokerTls.Options(broker, _ca));
        }

        if (client.IsConnected)
        {
            await client.DisconnectAsync(cancellationToken: ct);
        }

        // Messages of the previous connection are redelivered by the broker: their acknowledgements must not go out.
        _unacknowledged.Clear();
        // BrokerStreamProvider opens the socket itself, with BrokerSocket's buffers.
        var result = await client.ConnectAsync(builder.Build(), ct);
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        var facilities = o.Facilities is { Length: > 0 } f ? f : ["+"];
        foreach (var facility in facilities)
        {
            subscribe = subscribe.WithTopicFilter(Topics.AllBeds(facility), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        // Resubscribe on every connect: a broker that lost the session (restart without persistence) has no subscriptions.
        await client.SubscribeAsync(subscribe.Build(), ct);
        Log.BrokerConnected(logger, endpoint.Url, result.IsSessionPresent);
    }
}

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
/// when it returns. Each message goes through the <see cref="IngestionPipeline"/> before it is acknowledged.
/// </summary>
internal sealed class MqttIngestor(
    BrokerEndpoint endpoint,
    IOptions<BrokerOptions> options,
    IngestionPipeline pipeline,
    TimeProvider time,
    ILogger<MqttIngestor> logger) : BackgroundService
{
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
            try
            {
                pipeline.Process(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            }
            catch (Exception ex)
            {
                // By design: one message must never stop ingestion; it is acknowledged and logged.
                Log.IngestFailed(logger, e.ApplicationMessage.Topic, ex);
            }

            return Task.CompletedTask;
        };

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

        if (_client.IsConnected)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _client.DisconnectAsync(cancellationToken: cts.Token);
        }

        _client.Dispose();
    }

    private async Task ConnectAsync(IMqttClient client, BrokerAddress broker, BrokerOptions o, CancellationToken ct)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId(o.ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds)
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

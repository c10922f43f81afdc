using System.Diagnostics;
using MQTTnet;
using MQTTnet.Formatter;

namespace Somnis.Bench;

/// <summary>
/// The NATS ceiling's reader: one MQTTnet 3.1.1 client with a persistent session, subscribed as the hub subscribes (the
/// same topic filter, QoS 1, the same socket buffers), whose handler only counts and timestamps. MQTTnet acknowledges
/// each message as soon as the handler returns, so nothing but the client's own receive path stands between the
/// cluster and the count: what the cluster delivers to one well-behaved MQTT client.
/// </summary>
internal sealed class CountingSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptionsBuilder _options;
    private long _received;
    private long _duplicates;
    private long _last;

    private CountingSubscriber(IMqttClient client, MqttClientOptionsBuilder options)
    {
        _client = client;
        _options = options;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            // Retained messages (none on the ceiling's fresh cluster) and redeliveries are not deliveries of the burst.
            if (e.ApplicationMessage.Dup)
            {
                Interlocked.Increment(ref _duplicates);
            }
            else if (!e.ApplicationMessage.Retain)
            {
                Interlocked.Increment(ref _received);
                Volatile.Write(ref _last, Stopwatch.GetTimestamp());
            }

            return Task.CompletedTask;
        };
    }

    /// <summary>First deliveries counted so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages the broker sent again (flagged duplicate).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>The <see cref="Stopwatch"/> timestamp of the last counted message.</summary>
    public long LastArrival => Volatile.Read(ref _last);

    /// <summary>Connects with a persistent session (clean session false) and subscribes to <paramref name="topicFilter"/> at QoS 1.</summary>
    public static async Task<CountingSubscriber> ConnectAsync(string host, int port, string clientId, string user, string password, string topicFilter, CancellationToken ct)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithCredentials(user, password)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(30));
        var subscriber = new CountingSubscriber(new MqttClientFactory().CreateMqttClient(), options);
        await subscriber._client.ConnectAsync(Somnis.Contracts.Mqtt.BrokerSocket.Widen(options.WithCleanSession(false).Build()), ct);
        var result = await subscriber._client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topicFilter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        if (result.Items.Any(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
        {
            throw new InvalidOperationException($"the broker refused the subscription to {topicFilter}");
        }

        return subscriber;
    }

    /// <summary>Waits until <paramref name="count"/> messages have been counted in all.</summary>
    public Task UntilAsync(long count, TimeSpan timeout) =>
        Rig.UntilAsync(() => Task.FromResult(Received >= count), timeout, $"the subscriber to receive {count} messages", TimeSpan.FromMilliseconds(5));

    /// <summary>Disconnects and removes the session (a clean-session connect discards it), so the broker queues nothing more for it.</summary>
    public async Task RemoveSessionAsync(CancellationToken ct)
    {
        await _client.DisconnectAsync(cancellationToken: ct);
        await _client.ConnectAsync(Somnis.Contracts.Mqtt.BrokerSocket.Widen(_options.WithCleanSession(true).Build()), ct);
        await _client.DisconnectAsync(cancellationToken: ct);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }
        }
        catch (Exception)
        {
            // Best effort at the end of a phase: the cluster is stopped with it anyway.
        }

        _client.Dispose();
    }
}

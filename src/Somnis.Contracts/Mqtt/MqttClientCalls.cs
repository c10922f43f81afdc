using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// What <see cref="MqttConnection"/> asks of one MQTTnet client: a fresh client per attempt, its options for a broker,
/// and connect, subscribe and ping bounded in time. Every call that can block on a wedged socket runs on a thread of its own and is bounded on the
/// injected clock, so a black hole (a cable pulled) is noticed in seconds, not after the OS's TCP timeout.
/// </summary>
internal static class MqttClientCalls
{
    public static MqttClientOptions Options(MqttConnectionOptions o, BrokerAddress broker)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId(o.ClientId)
            .WithKeepAlivePeriod(o.KeepAlive)
            .WithTimeout(o.ConnectTimeout);
        if (o.Version == MqttVersion.V311)
        {
            // 3.1.1 has no session expiry and no receive maximum: a persistent session is CleanSession = false.
            builder = builder.WithProtocolVersion(MqttProtocolVersion.V311).WithCleanSession(!o.PersistentSession);
        }
        else
        {
            builder = builder.WithProtocolVersion(MqttProtocolVersion.V500).WithCleanStart(!o.PersistentSession);
            if (o.PersistentSession)
            {
                builder = builder.WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds);
            }

            if (o.ReceiveMaximum is { } receiveMaximum)
            {
                builder = builder.WithReceiveMaximum(receiveMaximum);
            }
        }

        if (o.StreamProvider is { } streams)
        {
            builder = builder.WithStreamProvider(streams);
        }

        if (o.Username is { Length: > 0 } user)
        {
            builder = builder.WithCredentials(user, o.Password);
        }

        if (broker.Tls)
        {
            builder = builder.WithTlsOptions(BrokerTls.Options(broker, o.CaCertificates));
        }

        if (o.Configure is { } configure)
        {
            builder = configure(builder);
        }

        var options = builder.Build();
        return o.WidenSocketBuffers && o.StreamProvider is null ? BrokerSocket.Widen(options) : options;
    }

    public static async Task<MqttClientConnectResult> ConnectAsync(IMqttClient client, MqttClientOptions options, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return await Task.Run(() => client.ConnectAsync(options, bounded.Token), ct).WaitAsync(timeout + TimeSpan.FromSeconds(1), time, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is OperationCanceledException or TimeoutException)
        {
            throw new TimeoutException($"no CONNACK within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    public static async Task SubscribeAsync(IMqttClient client, BrokerAddress broker, IReadOnlyList<MQTTnet.Packets.MqttTopicFilter> filters, CancellationToken ct)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe = subscribe.WithTopicFilter(filter);
        }

        var result = await client.SubscribeAsync(subscribe.Build(), ct);
        // A refused subscription (an ACL) would leave the client connected and deaf: it fails the attempt, visibly.
        if (result.Items.FirstOrDefault(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2) is { } refused)
        {
            throw new InvalidOperationException($"{broker} refused the subscription to {refused.TopicFilter.Topic}: {refused.ResultCode}");
        }
    }

    /// <summary>True when the broker answered a ping within <paramref name="timeout"/>.</summary>
    public static async Task<bool> PingAsync(IMqttClient client, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        try
        {
            return await Task.Run(() => client.TryPingAsync(ct), ct).WaitAsync(timeout, time, ct);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>A fresh client: every attempt gets one, since the old one may be wedged on a dead socket.</summary>
    /// <param name="received">Handles every message received; null: none.</param>
    /// <param name="onReadyClosed">Runs when a connection that was up closes (not when an attempt fails).</param>
    public static IMqttClient NewClient(Func<MqttApplicationMessageReceivedEventArgs, Task>? received, Action onReadyClosed)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        if (received is not null)
        {
            client.ApplicationMessageReceivedAsync += received;
        }

        client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                onReadyClosed();
            }

            return Task.CompletedTask;
        };
        return client;
    }

    /// <summary>Disposes a client in the background: closing a dead connection's socket can block.</summary>
    public static void Discard(IMqttClient client) => _ = Task.Run(() =>
    {
        try
        {
            client.Dispose();
        }
        catch (Exception)
        {
            // By design: the connection is dead anyway.
        }
    });
}

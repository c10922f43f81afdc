using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

/// <summary>The real MQTTnet broker in process on a free loopback port, with persistent sessions; records who connected how and what was subscribed.</summary>
internal sealed class InProcessBroker : IAsyncDisposable
{
    private MqttServer _server;

    private InProcessBroker(int port)
    {
        Port = port;
        _server = Create(port);
    }

    public int Port { get; }

    public BrokerAddress Address => new("127.0.0.1", Port, false);

    /// <summary>Every CONNECT seen: client id, protocol version, clean session/start, session expiry.</summary>
    public ConcurrentQueue<(string ClientId, MqttProtocolVersion Version, bool CleanSession, uint SessionExpiry)> Connects { get; } = new();

    /// <summary>Topic filters subscribed (by any client) on the running server instance.</summary>
    public ConcurrentQueue<string> Subscribed { get; private set; } = new();

    public static async Task<InProcessBroker> StartAsync()
    {
        var broker = new InProcessBroker(FreePort());
        await broker.StartServerAsync();
        return broker;
    }

    /// <summary>A loopback address where nothing listens: a connection attempt is refused at once.</summary>
    public static BrokerAddress Closed() => new("127.0.0.1", FreePort(), false);

    /// <summary>Closes the client's connection from the broker's side; its session stays.</summary>
    public async Task DropClientAsync(string clientId)
    {
        var client = (await _server.GetClientsAsync()).Single(c => c.Id == clientId);
        await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.AdministrativeAction });
    }

    /// <summary>Stops the broker and starts a new one on the same port that has no sessions (as a restart without persistence).</summary>
    public async Task RestartWithoutSessionsAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
        Subscribed = new();
        _server = Create(Port);
        await StartServerAsync();
    }

    public async Task PublishAsync(string topic, string payload) =>
        await _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(
            new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build()) { SenderClientId = "test" });

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
    }

    private static MqttServer Create(int port) => new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
        .WithDefaultEndpoint()
        .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
        .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
        .WithDefaultEndpointPort(port)
        .WithDefaultEndpointReuseAddress()
        .WithPersistentSessions()
        .Build());

    private async Task StartServerAsync()
    {
        _server.ValidatingConnectionAsync += e =>
        {
            Connects.Enqueue((e.ClientId, e.ProtocolVersion, e.CleanSession == true, e.SessionExpiryInterval));
            return Task.CompletedTask;
        };
        _server.InterceptingSubscriptionAsync += e =>
        {
            Subscribed.Enqueue(e.TopicFilter.Topic);
            return Task.CompletedTask;
        };
        await _server.StartAsync();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>A random source that returns the given values in turn (the jitter of the backoff).</summary>
internal sealed class FixedRandom(params double[] values) : Random
{
    private int _next;

    public override double NextDouble() => values[_next++ % values.Length];
}

internal static class Signals
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Completes when the client's connection closes (attach before causing it); fails after <see cref="Patience"/>.</summary>
    public static Task DisconnectedAsync(IMqttClient client)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        if (!client.IsConnected)
        {
            closed.TrySetResult();
        }

        return closed.Task.WaitAsync(Patience);
    }
}

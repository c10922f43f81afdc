using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Somnis.Contracts.Mqtt;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Mqtt;

/// <summary>
/// The shared MQTT connection (<see cref="MqttConnection"/>) against real Mosquitto brokers, on the real clock: moving to
/// the next broker of the list when one is killed, a persistent MQTT 3.1.1 session, and hub and edge processes that
/// speak 3.1.1 to a list of brokers. Mosquitto logs each connection as <c>as CLIENT (pP, cC, …)</c>: p2 is MQTT 3.1.1,
/// p5 MQTT 5; c0 means clean session/start off. The tests read that from a log file, which Mosquitto flushes at every
/// line (its standard output, read through a pipe, arrives only in blocks).
/// </summary>
[Collection("processes")]
public sealed class MqttConnectionMosquittoTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly MqttTopicFilter Everything = new MqttTopicFilterBuilder().WithTopic("t/#").WithAtLeastOnceQoS().Build();

    private static BrokerAddress Address(Mosquitto broker) => new("127.0.0.1", broker.Port, false);

    private static async Task<LoggedMosquitto> StartLoggedAsync()
    {
        var log = Path.Combine(Path.GetTempPath(), $"somnis-mosquitto-{Guid.NewGuid():N}.log");
        return new LoggedMosquitto(await Mosquitto.StartAsync($"log_dest file {log}"), log);
    }

    private static MqttConnectionOptions Options(string clientId, params Mosquitto[] brokers) => new()
    {
        Brokers = [.. brokers.Select(Address)],
        ClientId = clientId,
        PersistentSession = true,
        KeepAlive = TimeSpan.FromSeconds(5),
        PingInterval = TimeSpan.FromSeconds(1),
        PingTimeout = TimeSpan.FromSeconds(5),
        CheckInterval = TimeSpan.FromMilliseconds(200),
        Backoff = new ReconnectBackoff { Initial = TimeSpan.FromMilliseconds(100), Max = TimeSpan.FromSeconds(1) },
        Subscriptions = [Everything],
    };

    [Fact]
    public async Task A_client_moves_to_the_second_broker_when_the_first_is_killed()
    {
        await using var first = await Mosquitto.StartAsync();
        await using var second = await Mosquitto.StartAsync();
        var connected = Channel.CreateUnbounded<MqttSession>();
        var received = Channel.CreateUnbounded<string>();
        var lost = new List<BrokerAddress>();
        await using var connection = new MqttConnection(Options("failover-test", first, second), TimeProvider.System) { MessageReceived = Into(received) };
        connection.Connected += s => connected.Writer.TryWrite(s);
        connection.Disconnected += (broker, _) => lost.Add(broker);
        using var stop = new CancellationTokenSource();
        var run = connection.RunAsync(stop.Token);

        var one = await connected.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(Address(first), one.Broker);

        first.Kill();
        var two = await connected.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal((Address(second), false), (two.Broker, two.SessionPresent));
        Assert.Equal([Address(first)], lost);

        // It subscribed at the second broker (which never had its session): a message published there arrives.
        await PublishAsync(second, "t/after-failover");
        await ReceiveAsync(received, "t/after-failover");

        await stop.CancelAsync();
        await run;
        await connection.DisconnectAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Mqtt_3_1_1_keeps_a_persistent_session_at_mosquitto()
    {
        await using var logged = await StartLoggedAsync();
        var broker = logged.Broker;
        var options = Options("v311-session-test", broker) with { Version = MqttVersion.V311 };
        await using (var away = new MqttConnection(options, TimeProvider.System))
        {
            await away.EnsureConnectedAsync(CancellationToken.None);
            Assert.False(away.Session!.SessionPresent);
            await away.DisconnectAsync(TimeSpan.FromSeconds(5));
        }

        // While the client is away, the broker queues a QoS 1 message for its session.
        await PublishAsync(broker, "t/while-away");

        var received = Channel.CreateUnbounded<string>();
        await using var back = new MqttConnection(options, TimeProvider.System) { MessageReceived = Into(received) };
        await back.EnsureConnectedAsync(CancellationToken.None);
        Assert.True(back.Session!.SessionPresent);
        await ReceiveAsync(received, "t/while-away");
        Assert.Equal(2, logged.Connections("v311-session-test", "p2, c0"));
        await back.DisconnectAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Hub_and_edge_speak_3_1_1_to_a_list_of_brokers_and_carry_on_at_the_second_when_the_first_dies()
    {
        await using var firstLogged = await StartLoggedAsync();
        await using var secondLogged = await StartLoggedAsync();
        var (first, second) = (firstLogged.Broker, secondLogged.Broker);
        var brokers = $"{first.Url},{second.Url}";
        await using var hub = await HubProcess.StartAsync("--broker", brokers, "--mqtt-version", "3.1.1", "--beds", "0");
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", brokers, "--mqtt-version", "3.1.1", "--bed", "bed-01", "--speed", "60");
        await WaitForDataAsync(hub, 0, "bed-01's data through the first broker");
        // Persistent sessions for the hub's subscriber and the bed's data; clean ones for the publisher and the command link.
        Assert.All(new[] { "somnis-hub", "edge-nexus-bed-01" }, client => Assert.NotEqual(0, firstLogged.Connections(client, "p2, c0")));
        Assert.All(new[] { "somnis-hub-publisher", "edge-nexus-bed-01-cmd" }, client => Assert.NotEqual(0, firstLogged.Connections(client, "p2, c1")));

        var before = await ReceivedAsync(hub);
        first.Kill();
        await WaitForDataAsync(hub, before, "bed-01's data through the second broker");
        Assert.All(new[] { "somnis-hub", "edge-nexus-bed-01" }, client => Assert.NotEqual(0, secondLogged.Connections(client, "p2, c0")));
        await Eventually.UntilAsync(
            async () =>
            {
                var broker = (await hub.Http.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("checks").GetProperty("broker");
                return broker.GetProperty("status").GetString() == "Healthy" && broker.GetProperty("description").GetString() == $"connected to {second.Url}";
            },
            Patience,
            "readiness to name the second broker, with the publisher connected too");
    }

    private static async Task<long> ReceivedAsync(HubProcess hub) =>
        (await hub.BedsAsync()).Sum(b => b.GetProperty("received").GetInt64());

    private static Task WaitForDataAsync(HubProcess hub, long after, string what) =>
        Eventually.UntilAsync(async () => await ReceivedAsync(hub) > after + 3, Patience, what);

    private static Func<MqttApplicationMessageReceivedEventArgs, Task> Into(Channel<string> received) => e =>
    {
        received.Writer.TryWrite(e.ApplicationMessage.Topic);
        return Task.CompletedTask;
    };

    private static async Task ReceiveAsync(Channel<string> received, string topic)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (await received.Reader.ReadAsync(timeout.Token) != topic)
        {
        }
    }

    private static async Task PublishAsync(Mosquitto broker, string topic)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("publisher-" + Guid.NewGuid().ToString("N")[..8]).Build());
        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(result.IsSuccess, result.ReasonString);
        await client.DisconnectAsync();
    }

    /// <summary>A Mosquitto that also logs to a file (deleted with it).</summary>
    private sealed class LoggedMosquitto(Mosquitto broker, string log) : IAsyncDisposable
    {
        public Mosquitto Broker => broker;

        /// <summary>How often <paramref name="clientId"/> connected with this protocol and session flag (<c>p2, c0</c>).</summary>
        public int Connections(string clientId, string flags)
        {
            using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            return reader.ReadToEnd().Split('\n').Count(l => l.Contains($" as {clientId} ({flags}", StringComparison.Ordinal));
        }

        public async ValueTask DisposeAsync()
        {
            await broker.DisposeAsync();
            File.Delete(log);
        }
    }
}

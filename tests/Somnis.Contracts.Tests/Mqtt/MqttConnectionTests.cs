using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

/// <summary>
/// The connection component against the real in-process MQTTnet broker (and loopback ports where nothing listens), on a
/// fake clock and a fixed random source. Each test drives the supervision one step at a time
/// (<see cref="MqttConnection.SuperviseOnceAsync"/>) and advances the clock by the wait that step returned.
/// </summary>
public sealed class MqttConnectionTests
{
    private static readonly TimeSpan Ms250 = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 22, 0, 0, TimeSpan.Zero));

    private static MqttConnectionOptions Options(params BrokerAddress[] brokers) => new()
    {
        Brokers = brokers,
        ClientId = "test-" + Guid.NewGuid().ToString("N")[..8],
        PersistentSession = true,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        // No pings in these tests unless they ask for one: the fake clock jumps.
        PingInterval = TimeSpan.FromHours(1),
        Backoff = new ReconnectBackoff { Initial = Ms250, Max = TimeSpan.FromSeconds(2), StableAfter = TimeSpan.FromSeconds(10) },
        Subscriptions = [new MqttTopicFilterBuilder().WithTopic("t/#").WithAtLeastOnceQoS().Build()],
    };

    [Fact]
    public async Task Failed_attempts_back_off_exponentially_to_the_bound_and_go_round_the_list()
    {
        BrokerAddress a = InProcessBroker.Closed(), b = InProcessBroker.Closed();
        await using var connection = new MqttConnection(Options(a, b), _time, new FixedRandom(0));
        var failures = new List<(BrokerAddress Broker, TimeSpan RetryIn)>();
        connection.ConnectFailed += (broker, _, retryIn) => failures.Add((broker, retryIn));

        for (var i = 1; i <= 6; i++)
        {
            var wait = await connection.SuperviseOnceAsync(default);
            Assert.Equal(i, failures.Count);
            Assert.Equal(failures[^1].RetryIn, wait);

            // Until the wait is over, a step makes no attempt and says how long is left.
            _time.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.Equal(TimeSpan.FromMilliseconds(1), await connection.SuperviseOnceAsync(default));
            Assert.Equal(i, failures.Count);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal([250, 500, 1000, 2000, 2000, 2000], failures.Select(f => f.RetryIn.TotalMilliseconds));
        Assert.Equal([a, b, a, b, a, b], failures.Select(f => f.Broker));
        Assert.Equal(6, connection.FailedAttempts);
        Assert.Equal(MqttConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task Jitter_from_the_random_source_shortens_each_wait_within_half_of_it()
    {
        double[] randoms = [0.999, 0.5, 0.0, 0.25];
        await using var connection = new MqttConnection(Options(InProcessBroker.Closed()), _time, new FixedRandom(randoms));
        var waits = new List<TimeSpan>();
        connection.ConnectFailed += (_, _, retryIn) => waits.Add(retryIn);
        for (var i = 0; i < randoms.Length; i++)
        {
            _time.Advance(await connection.SuperviseOnceAsync(default));
        }

        double[] full = [250, 500, 1000, 2000];
        for (var i = 0; i < randoms.Length; i++)
        {
            Assert.InRange(waits[i].TotalMilliseconds, full[i] / 2, full[i]);
            Assert.Equal(full[i] * (1 - (0.5 * randoms[i])), waits[i].TotalMilliseconds, 0.001);
        }
    }

    [Fact]
    public async Task A_broker_that_fails_is_left_for_the_next_one_and_subscriptions_are_made_there()
    {
        await using var live = await InProcessBroker.StartAsync();
        var closed = InProcessBroker.Closed();
        var connected = new List<MqttSession>();
        await using var connection = new MqttConnection(Options(closed, live.Address), _time, new FixedRandom(0));
        connection.Connected += connected.Add;

        var wait = await connection.SuperviseOnceAsync(default);
        Assert.Equal(Ms250, wait);
        Assert.Equal(live.Address, connection.Broker);
        _time.Advance(wait);
        Assert.Equal(connection.Options.CheckInterval, await connection.SuperviseOnceAsync(default));

        var session = Assert.Single(connected);
        Assert.Equal((live.Address, false), (session.Broker, session.SessionPresent));
        Assert.True(connection.IsConnected);
        Assert.Equal(MqttConnectionState.Connected, connection.State);
        Assert.Equal(["t/#"], live.Subscribed);
        Assert.Same(session.Client, await connection.WaitForConnectionAsync(default));
    }

    [Fact]
    public async Task Subscriptions_are_made_again_only_when_the_broker_has_lost_the_session()
    {
        await using var broker = await InProcessBroker.StartAsync();
        var received = Channel.CreateUnbounded<string>();
        var sessions = new List<MqttSession>();
        var options = Options(broker.Address);
        await using var connection = new MqttConnection(options, _time, new FixedRandom(0))
        {
            MessageReceived = e =>
            {
                received.Writer.TryWrite(e.ApplicationMessage.Topic);
                return Task.CompletedTask;
            },
        };
        connection.Connected += sessions.Add;
        await connection.SuperviseOnceAsync(default);
        Assert.False(sessions[^1].SessionPresent);
        Assert.Single(broker.Subscribed);

        // The broker keeps the session: the client comes back to it and needs no new subscription.
        _time.Advance(TimeSpan.FromSeconds(10));
        await DropAsync(broker, connection);
        await connection.SuperviseOnceAsync(default);
        Assert.Equal(2, sessions.Count);
        Assert.True(sessions[^1].SessionPresent);
        Assert.Single(broker.Subscribed);
        await broker.PublishAsync("t/kept", "x");
        await ReceiveAsync(received, "t/kept");

        // A broker restarted without its sessions: the client subscribes again.
        _time.Advance(TimeSpan.FromSeconds(10));
        var closed = Signals.DisconnectedAsync(sessions[^1].Client);
        await broker.RestartWithoutSessionsAsync();
        await closed;
        await connection.SuperviseOnceAsync(default);
        Assert.Equal(3, sessions.Count);
        Assert.False(sessions[^1].SessionPresent);
        Assert.Equal(["t/#"], broker.Subscribed);
        await broker.PublishAsync("t/again", "x");
        await ReceiveAsync(received, "t/again");
    }

    [Fact]
    public async Task A_stable_connection_that_is_lost_is_retried_at_once_a_short_lived_one_after_the_backoff()
    {
        await using var broker = await InProcessBroker.StartAsync();
        var options = Options(broker.Address);
        var lost = new List<string>();
        await using var connection = new MqttConnection(options, _time, new FixedRandom(0));
        connection.Disconnected += (_, reason) => lost.Add(reason);
        await connection.SuperviseOnceAsync(default);

        // Up for 10 s (StableAfter), then lost: the same step reconnects, to the same broker.
        _time.Advance(TimeSpan.FromSeconds(10));
        await DropAsync(broker, connection);
        Assert.Equal(connection.Options.CheckInterval, await connection.SuperviseOnceAsync(default));
        Assert.Equal((2L, "the connection was closed"), (connection.Connects, Assert.Single(lost)));

        // Lost again at once: that counts as a failure and waits the backoff.
        await DropAsync(broker, connection);
        Assert.Equal(Ms250, await connection.SuperviseOnceAsync(default));
        Assert.False(connection.IsConnected);
        _time.Advance(Ms250);
        await connection.SuperviseOnceAsync(default);
        Assert.Equal(3, connection.Connects);
    }

    [Fact]
    public async Task A_caller_gets_no_attempt_during_the_backoff_unless_it_insists()
    {
        await using var connection = new MqttConnection(Options(InProcessBroker.Closed()), _time, new FixedRandom(0));
        await connection.SuperviseOnceAsync(default);
        var refused = await Assert.ThrowsAsync<MqttNotConnectedException>(() => connection.EnsureConnectedAsync(default));
        Assert.Contains("next attempt", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, connection.FailedAttempts);

        await Assert.ThrowsAnyAsync<Exception>(() => connection.EnsureConnectedAsync(default, evenDuringBackoff: true));
        Assert.Equal(2, connection.FailedAttempts);
    }

    [Fact]
    public async Task A_caller_connects_when_the_backoff_allows_and_the_connection_is_ready_only_after_establishing()
    {
        await using var broker = await InProcessBroker.StartAsync();
        var steps = new List<string>();
        var fail = true;
        await using var connection = new MqttConnection(Options(broker.Address), _time, new FixedRandom(0))
        {
            Establishing = (session, _) =>
            {
                steps.Add($"establishing, ready: {session.Client.IsConnected}");
                return fail ? throw new InvalidOperationException("birth refused") : Task.CompletedTask;
            },
        };
        connection.Connected += _ => steps.Add("connected");
        connection.ConnectFailed += (_, ex, _) => steps.Add($"failed: {ex.Message}");

        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.EnsureConnectedAsync(default));
        Assert.False(connection.IsConnected);
        fail = false;
        _time.Advance(Ms250);
        var client = await connection.EnsureConnectedAsync(default);
        Assert.Same(client, connection.Client);
        Assert.Equal(["establishing, ready: True", "failed: birth refused", "establishing, ready: True", "connected"], steps);
    }

    [Theory]
    [InlineData(MqttVersion.V311, MqttProtocolVersion.V311, 0u)]
    [InlineData(MqttVersion.V5, MqttProtocolVersion.V500, 3600u)]
    public async Task A_persistent_session_is_clean_session_off_in_3_1_1_and_clean_start_off_with_expiry_in_5(MqttVersion version, MqttProtocolVersion wire, uint expiry)
    {
        await using var broker = await InProcessBroker.StartAsync();
        var options = Options(broker.Address) with { Version = version };
        var sessions = new List<MqttSession>();
        await using var connection = new MqttConnection(options, _time, new FixedRandom(0));
        connection.Connected += sessions.Add;
        await connection.SuperviseOnceAsync(default);
        _time.Advance(TimeSpan.FromSeconds(10));
        await DropAsync(broker, connection);
        await connection.SuperviseOnceAsync(default);

        Assert.Equal([(options.ClientId, wire, false, expiry), (options.ClientId, wire, false, expiry)], broker.Connects);
        Assert.Equal([false, true], sessions.Select(s => s.SessionPresent));
    }

    [Fact]
    public async Task A_clean_session_subscribes_on_every_connection()
    {
        await using var broker = await InProcessBroker.StartAsync();
        var options = Options(broker.Address) with { PersistentSession = false };
        await using var connection = new MqttConnection(options, _time, new FixedRandom(0));
        await connection.SuperviseOnceAsync(default);
        _time.Advance(TimeSpan.FromSeconds(10));
        await DropAsync(broker, connection);
        await connection.SuperviseOnceAsync(default);

        Assert.Equal(2, connection.Connects);
        Assert.Equal(["t/#", "t/#"], broker.Subscribed);
        Assert.All(broker.Connects, c => Assert.True(c.CleanSession));
    }

    [Fact]
    public async Task A_clean_disconnect_leaves_nothing_to_supervise_and_waiters_wait_for_the_next_connection()
    {
        await using var broker = await InProcessBroker.StartAsync();
        await using var connection = new MqttConnection(Options(broker.Address), _time, new FixedRandom(0));
        await connection.SuperviseOnceAsync(default);
        await connection.DisconnectAsync(TimeSpan.FromSeconds(5));
        Assert.False(connection.IsConnected);
        var waiting = connection.WaitForConnectionAsync(default);
        Assert.False(waiting.IsCompleted);
        await connection.SuperviseOnceAsync(default);
        Assert.Same(connection.Client, await waiting.WaitAsync(Signals.Patience));
    }

    /// <summary>The broker closes the client's connection (its session stays); returns once the client saw it.</summary>
    private static async Task DropAsync(InProcessBroker broker, MqttConnection connection)
    {
        var closed = Signals.DisconnectedAsync(connection.Client!);
        await broker.DropClientAsync(connection.Options.ClientId);
        await closed;
    }

    /// <summary>Reads what arrived until <paramref name="topic"/> does; fails after <see cref="Signals.Patience"/>.</summary>
    private static async Task ReceiveAsync(Channel<string> received, string topic)
    {
        using var timeout = new CancellationTokenSource(Signals.Patience);
        while (await received.Reader.ReadAsync(timeout.Token) != topic)
        {
        }
    }
}

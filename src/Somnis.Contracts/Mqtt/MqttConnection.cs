using System.Threading.Channels;
using MQTTnet;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// One MQTT connection of edge or hub, kept up until its owner stops: the one place where brokers are chosen, connected
/// to, watched and reconnected (docs/operations.md, "Broker connection").
/// <list type="bullet">
/// <item>A supervision loop (<see cref="RunAsync"/>) checks the connection every <see cref="MqttConnectionOptions.CheckInterval"/>
/// and pings it when nothing proved it alive for <see cref="MqttConnectionOptions.PingInterval"/>; a closed connection or an
/// unanswered ping drops it.</item>
/// <item>Every attempt uses a fresh client (the old one may be wedged on a dead socket) and is bounded by
/// <see cref="MqttConnectionOptions.ConnectTimeout"/>. A failed attempt moves to the next broker of the list and waits a
/// jittered exponential backoff (<see cref="ReconnectBackoff"/>) on the injected clock and random source.</item>
/// <item>The subscriptions are made at the first connection of the process and whenever the broker reports no
/// session; then <see cref="Establishing"/> runs (the edge's birth status) before anyone else may use the connection.</item>
/// </list>
/// Owners log and count through the events; <see cref="EnsureConnectedAsync"/> lets a publisher reconnect inside its own
/// resilience pipeline without getting around the backoff.
/// </summary>
public sealed class MqttConnection : IAsyncDisposable
{
    private readonly MqttConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;

    // Held for every change of connection: an attempt, a drop, a disconnect. The ready client is read without it.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _readySync = new();
    private TaskCompletionSource<IMqttClient> _readyWaiters = NewWaiters();

    // The ready connection (its birth done), or null; read without a lock.
    private MqttSession? _session;
    private int _index;
    private int _failures;

    // The next attempt is due _backoff after _failedAt (a TimeProvider timestamp); a zero _backoff: at once.
    private long _failedAt;
    private TimeSpan _backoff;
    private long _connectedAt;
    private long _aliveAt;
    private bool _subscribed;
    private int _state;
    private long _connects;
    private long _failedAttempts;
    private Exception? _lastError;

    public MqttConnection(MqttConnectionOptions options, TimeProvider time, Random? random = null)
    {
        if (options.Brokers.Count == 0)
        {
            throw new ArgumentException("at least one broker is needed", nameof(options));
        }

        _options = options;
        _time = time;
        _random = random ?? Random.Shared;
    }

    /// <summary>Handles every message received, on any connection of this component.</summary>
    public Func<MqttApplicationMessageReceivedEventArgs, Task>? MessageReceived { get; init; }

    /// <summary>Runs on a new connection after the subscriptions, before it is ready for anyone else; when it throws the
    /// attempt counts as failed.</summary>
    public Func<MqttSession, CancellationToken, Task>? Establishing { get; init; }

    /// <summary>Before each attempt, with the broker it goes to.</summary>
    public event Action<BrokerAddress>? Connecting;

    /// <summary>A connection is up and ready.</summary>
    public event Action<MqttSession>? Connected;

    /// <summary>An attempt failed: the broker, why, and the wait until the next attempt (to the next broker).</summary>
    public event Action<BrokerAddress, Exception, TimeSpan>? ConnectFailed;

    /// <summary>A ready connection was lost: the broker and why.</summary>
    public event Action<BrokerAddress, string>? Disconnected;

    /// <summary>A ping was not answered within <see cref="MqttConnectionOptions.PingTimeout"/> (the connection is then dropped).</summary>
    public event Action<BrokerAddress, TimeSpan>? PingUnanswered;

    public MqttConnectionOptions Options => _options;

    public MqttConnectionState State => (MqttConnectionState)Volatile.Read(ref _state);

    public bool IsConnected => Client is not null;

    /// <summary>The ready client, or null while there is no connection.</summary>
    public IMqttClient? Client => Volatile.Read(ref _session)?.Client is { IsConnected: true } client ? client : null;

    /// <summary>The current connection, or null.</summary>
    public MqttSession? Session => Volatile.Read(ref _session);

    /// <summary>The broker connected to, or the one the next attempt goes to.</summary>
    public BrokerAddress Broker => _options.Brokers[Volatile.Read(ref _index)];

    /// <summary>Connections made since start.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Connection attempts that failed since start.</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Something proved the connection alive (a PUBACK): the next ping waits another <see cref="MqttConnectionOptions.PingInterval"/>.</summary>
    public void ReportAlive() => Interlocked.Exchange(ref _aliveAt, _time.GetTimestamp());

    /// <summary>Keeps the connection up until cancelled; leaves it as it is then (see <see cref="DisconnectAsync"/>).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await SuperviseOnceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // By design: nothing may stop the supervision; failures of the broker are reported through the events.
                wait = _options.CheckInterval;
            }

            try
            {
                await WaitAsync(wait, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>One step of the supervision: checks a ready connection, or makes an attempt when one is due; returns the wait until the next step.</summary>
    internal async Task<TimeSpan> SuperviseOnceAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _session)?.Client is { } client)
        {
            string? lost = null;
            if (!client.IsConnected)
            {
                lost = "the connection was closed";
            }
            else if (_time.GetElapsedTime(Interlocked.Read(ref _aliveAt)) >= _options.PingInterval)
            {
                if (await MqttClientCalls.PingAsync(client, _options.PingTimeout, _time, ct))
                {
                    ReportAlive();
                }
                else
                {
                    lost = $"no answer to a ping within {_options.PingTimeout.TotalSeconds:0.#} s";
                    Notify(() => PingUnanswered?.Invoke(Broker, _options.PingTimeout));
                }
            }

            if (lost is null)
            {
                return _options.CheckInterval;
            }

            await _gate.WaitAsync(ct);
            try
            {
                Drop(client, lost);
            }
            finally
            {
                _gate.Release();
            }
        }

        if (UntilNextAttempt() is var wait && wait > TimeSpan.Zero)
        {
            return wait;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _session) is null && UntilNextAttempt() <= TimeSpan.Zero)
            {
                await AttemptAsync(ct);
            }
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // By design: the failure went out through ConnectFailed; the next attempt follows the backoff.
        }
        finally
        {
            _gate.Release();
        }

        return Volatile.Read(ref _session) is not null ? _options.CheckInterval : UntilNextAttempt();
    }

    /// <summary>
    /// The ready client; without one, a connection attempt now if the backoff allows it (or
    /// <paramref name="evenDuringBackoff"/>), else <see cref="MqttNotConnectedException"/> at once. Callers that find an
    /// attempt under way wait for it instead of making their own.
    /// </summary>
    public async Task<IMqttClient> EnsureConnectedAsync(CancellationToken ct, bool evenDuringBackoff = false)
    {
        if (Client is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _session)?.Client is { } current)
            {
                if (current.IsConnected)
                {
                    return current;
                }

                Drop(current, "the connection was closed");
            }

            if (UntilNextAttempt() is var wait && wait > TimeSpan.Zero && !evenDuringBackoff)
            {
                throw new MqttNotConnectedException($"not connected to a broker; the next attempt ({Broker}) is in {wait.TotalSeconds:0.##} s", Volatile.Read(ref _lastError));
            }

            return await AttemptAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits until a connection is ready (made by <see cref="RunAsync"/> or anyone else).</summary>
    public Task<IMqttClient> WaitForConnectionAsync(CancellationToken ct)
    {
        lock (_readySync)
        {
            return _readyWaiters.Task.WaitAsync(ct);
        }
    }

    /// <summary>Ends the connection cleanly (a DISCONNECT: the broker keeps a persistent session and drops the last will).</summary>
    public async Task DisconnectAsync(TimeSpan timeout)
    {
        await _gate.WaitAsync();
        try
        {
            var client = TakeReady();
            Volatile.Write(ref _state, (int)MqttConnectionState.Disconnected);
            if (client is { IsConnected: true })
            {
                using var cts = new CancellationTokenSource(timeout, _time);
                try
                {
                    await client.DisconnectAsync(cancellationToken: cts.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
                {
                    // By design: the connection is going anyway; the broker notices it and keeps the session.
                }
            }

            client?.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        TakeReady()?.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<IMqttClient> AttemptAsync(CancellationToken ct)
    {
        var broker = Broker;
        Volatile.Write(ref _state, (int)MqttConnectionState.Connecting);
        Notify(() => Connecting?.Invoke(broker));
        // A ready connection that closes wakes the supervision at once instead of at its next check.
        var client = MqttClientCalls.NewClient(MessageReceived, onReadyClosed: () => _wake.Writer.TryWrite(true));
        try
        {
            var result = await MqttClientCalls.ConnectAsync(client, MqttClientCalls.Options(_options, broker), _options.ConnectTimeout, _time, ct);
            if (_options.Subscriptions.Count > 0 && (!result.IsSessionPresent || !_subscribed))
            {
                await MqttClientCalls.SubscribeAsync(client, broker, _options.Subscriptions, ct);
                _subscribed = true;
            }

            var session = new MqttSession(broker, result.IsSessionPresent, client);
            if (Establishing is { } establishing)
            {
                await establishing(session, ct);
            }

            if (!client.IsConnected)
            {
                throw new MqttNotConnectedException($"{broker} closed the connection while it was being set up");
            }

            _connectedAt = _time.GetTimestamp();
            ReportAlive();
            Interlocked.Increment(ref _connects);
            Volatile.Write(ref _state, (int)MqttConnectionState.Connected);
            lock (_readySync)
            {
                Volatile.Write(ref _session, session);
                _readyWaiters.TrySetResult(client);
            }

            Notify(() => Connected?.Invoke(session));
            return client;
        }
        catch (Exception ex)
        {
            MqttClientCalls.Discard(client);
            Volatile.Write(ref _state, (int)MqttConnectionState.Disconnected);
            if (ct.IsCancellationRequested)
            {
                // The caller gave up (a stop, a publish timeout): not the broker's failure, and no backoff for the next caller.
                throw;
            }

            Volatile.Write(ref _lastError, ex);
            Interlocked.Increment(ref _failedAttempts);
            var delay = ScheduleAfterFailure();
            Notify(() => ConnectFailed?.Invoke(broker, ex, delay));
            throw;
        }
    }

    /// <summary>Forgets a ready connection that was lost (under the gate).</summary>
    private void Drop(IMqttClient client, string reason)
    {
        if (Volatile.Read(ref _session)?.Client != client)
        {
            return;
        }

        var broker = Broker;
        TakeReady();
        Volatile.Write(ref _state, (int)MqttConnectionState.Disconnected);
        if (_time.GetElapsedTime(_connectedAt) >= _options.Backoff.StableAfter)
        {
            _failures = 0;
            _backoff = TimeSpan.Zero;
        }
        else
        {
            ScheduleAfterFailure();
        }

        MqttClientCalls.Discard(client);
        Notify(() => Disconnected?.Invoke(broker, reason));
    }

    private IMqttClient? TakeReady()
    {
        lock (_readySync)
        {
            var client = _session?.Client;
            Volatile.Write(ref _session, null);
            if (_readyWaiters.Task.IsCompleted)
            {
                _readyWaiters = NewWaiters();
            }

            return client;
        }
    }

    /// <summary>Counts a failure, moves to the next broker and returns the wait before trying it (under the gate).</summary>
    private TimeSpan ScheduleAfterFailure()
    {
        _failures++;
        Volatile.Write(ref _index, (_index + 1) % _options.Brokers.Count);
        _backoff = _options.Backoff.Delay(_failures, _random.NextDouble());
        _failedAt = _time.GetTimestamp();
        return _backoff;
    }

    private TimeSpan UntilNextAttempt()
    {
        var left = _backoff - _time.GetElapsedTime(_failedAt);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task WaitAsync(TimeSpan wait, CancellationToken ct)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        if (!IsConnected)
        {
            // A backoff is not cut short.
            await Task.Delay(wait, _time, ct);
            return;
        }

        using var timer = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private static void Notify(Action raise)
    {
        try
        {
            raise();
        }
        catch (Exception)
        {
            // By design: a failing listener (logging, metrics) must not stop the connection.
        }
    }

    private static TaskCompletionSource<IMqttClient> NewWaiters() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

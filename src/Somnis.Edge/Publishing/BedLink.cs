using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// One bed's MQTT connection and its store-and-forward path. Data messages go into the bed's <see cref="Journal"/>
/// first and leave it only after the broker's QoS 1 acknowledgement (PUBACK), so a dropped connection, a broker restart
/// or an edge crash delays data but does not lose it.
/// <list type="bullet">
/// <item>A hosted reconnect loop (ping → connect → birth status) with jittered exponential backoff (Polly retry);
/// persistent session (clean start off, session expiry), last will = retained offline status.</item>
/// <item>A drain loop publishes journaled messages through a Polly pipeline: retry (exponential, jitter) → circuit
/// breaker → timeout. The delegate reconnects itself when needed; when the circuit is open the message simply stays
/// journaled.</item>
/// <item>After every reconnect, what was pending becomes the backlog and is replayed oldest first at no more than
/// <see cref="EdgeOptions.ReplayRate"/> per second, while live messages go out as soon as they are fsynced.</item>
/// </list>
/// Status is state, not history: it is not journaled; the newest one (with the backlog and clock quality) is built
/// and sent at connect, every <see cref="EdgeOptions.StatusInterval"/>, on a sensor change and when a replay finishes.
/// </summary>
internal sealed class BedLink : IAsyncDisposable
{
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a clean stop goes on delivering the journal (systemd's stop timeout is 90 s by default).</summary>
    private static readonly TimeSpan ShutdownDrain = TimeSpan.FromSeconds(10);

    /// <summary>How long publishes already in flight may still take once the bed stops.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private const int PublishWindow = 32;

    private readonly string _facility;
    private readonly string _bed;
    private readonly BrokerAddress _broker;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _ca;
    private readonly EdgeOptions _options;
    private readonly Journal _journal;
    private readonly Func<StatusMessage> _status;
    private readonly Func<ClockStatus> _clock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private IMqttClient _client;

    /// <summary>The connection whose birth status is out: data goes only over it (see <see cref="EnsureConnectedAsync"/>).</summary>
    private IMqttClient? _born;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ResiliencePipeline _publishPipeline;
    private readonly ResiliencePipeline _connectPipeline;
    private readonly TokenBucket _replayBudget;
    private int _statusDirty;
    private long _published;
    private long _lastAckTimestamp;
    private long _replayed;
    private bool _replaying;

    public BedLink(string facility, string bed, EdgeOptions options, Journal journal, Func<StatusMessage> status, Func<ClockStatus> clock, TimeProvider time, ILogger logger)
    {
        _facility = facility;
        _bed = bed;
        _options = options;
        _broker = BrokerAddress.Parse(options.Broker);
        _ca = BrokerTls.LoadCa(options.BrokerCaCertificate);
        _journal = journal;
        _status = status;
        _clock = clock;
        _time = time;
        _logger = logger;
        _client = NewClient();
        _replayBudget = new TokenBucket(options.ReplayRate, time);

        var failures = new PredicateBuilder().Handle<Exception>(ex => ex is not (OperationCanceledException or BrokenCircuitException));
        _publishPipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = failures,
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = failures,
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = PublishTimeout })
            .Build();
        _connectPipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = options.ReconnectMaxDelay,
                OnRetry = args =>
                {
                    Log.ConnectFailed(_logger, _bed, _broker.ToString(), args.Outcome.Exception?.Message ?? "unknown");
                    return default;
                },
            })
            .Build();
    }

    public string Bed => _bed;

    public bool IsConnected => _client.IsConnected;

    public Journal Journal => _journal;

    /// <summary>Messages acknowledged by the broker (live and replayed).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Of those, messages sent as backlog replay.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Data messages dropped by a journal bound or corruption.</summary>
    public long Dropped => _journal.Dropped;

    public int Backlog => _journal.Backlog;

    /// <summary>Journals a data message (the publish happens in the drain loop); a status only marks the status for sending.</summary>
    public ValueTask EnqueueAsync(OutgoingMessage message, CancellationToken ct)
    {
        if (message.Seq is { } seq)
        {
            _journal.Append(message.Kind, seq, message.Ts, message.Payload);
        }
        else
        {
            Interlocked.Exchange(ref _statusDirty, 1);
        }

        Ring();
        return ValueTask.CompletedTask;
    }

    /// <summary>Keeps the connection up, drains the journal and batches its fsyncs until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var drain = DrainAsync(ct);
        var flush = FlushAsync(ct);
        var nextStatus = _time.GetUtcNow() + _options.StatusInterval;
        var tick = _options.StatusInterval < TimeSpan.FromSeconds(1) ? _options.StatusInterval : TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _connectPipeline.ExecuteAsync(async t => await EnsureConnectedAsync(ping: true, t), ct);
                if (_time.GetUtcNow() >= nextStatus)
                {
                    nextStatus = _time.GetUtcNow() + _options.StatusInterval;
                    Interlocked.Exchange(ref _statusDirty, 1);
                    Ring();
                }

                await Task.Delay(tick, _time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: the connect pipeline retries forever; anything else is logged and the loop goes on.
                Log.ConnectFailed(_logger, _bed, _broker.ToString(), ex.Message);
                await DelayQuietly(TimeSpan.FromSeconds(1), ct);
            }
        }

        await drain;
        await flush;
    }

    private IMqttClient NewClient()
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            OnCommand(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        return client;
    }

    /// <summary>
    /// A ping bounded by the keep-alive. In a black hole (a cable pulled, Wi-Fi gone) the socket's send buffer fills
    /// and the client's own keep-alive can stall behind it for the OS's TCP timeout (many minutes); an unanswered
    /// ping is the signal to drop the connection and reconnect.
    /// </summary>
    private async Task<bool> AliveAsync(CancellationToken ct)
    {
        var client = _client;
        try
        {
            // On a thread of its own: a wedged socket can block the caller before the ping even becomes a task.
            if (await Task.Run(() => client.TryPingAsync(ct), ct).WaitAsync(_options.KeepAlive * 1.5, _time, ct))
            {
                return true;
            }
        }
        catch (TimeoutException)
        {
        }

        Log.PingUnanswered(_logger, _bed, _options.KeepAlive * 1.5);
        return false;
    }

    private async Task EnsureConnectedAsync(bool ping, CancellationToken ct)
    {
        // A PUBACK within the keep-alive proves the connection alive: no ping needed (a ping queued behind a full
        // publish window on a busy machine could otherwise time out and drop a healthy connection).
        var acked = _time.GetElapsedTime(Interlocked.Read(ref _lastAckTimestamp)) < _options.KeepAlive;
        var client = _client;
        // A connection counts once its birth status is out: data published on it before the birth could reach the
        // hub ahead of a birth that carries a lower sequence number, which would read as an edge that lost its numbering.
        if (client.IsConnected && client == Volatile.Read(ref _born) && (!ping || acked || await AliveAsync(ct)))
        {
            return;
        }

        await _connectLock.WaitAsync(ct);
        try
        {
            // Whoever held the lock before may have just connected: never replace a connection that another caller
            // made meanwhile (that would fail its in-flight publishes and trip the circuit breaker).
            if (_client.IsConnected && _client == _born && (!ping || client != _client))
            {
                return;
            }

            await ConnectAsync(ct);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var will = CurrentStatus(DeviceStates.Offline);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, _broker.Port)
            .WithClientId($"edge-{_facility}-{_bed}")
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)_options.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.KeepAlive < PublishTimeout ? _options.KeepAlive : PublishTimeout)
            .WithWillTopic(Topics.For(_facility, _bed, Topics.Status))
            .WithWillPayload(JsonSerializer.SerializeToUtf8Bytes(will, SomnisJsonContext.Default.StatusMessage))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (_options.BrokerUsername is { Length: > 0 } user)
        {
            builder = builder.WithCredentials(user, _options.BrokerPassword);
        }

        if (_broker.Tls)
        {
            builder = builder.WithTlsOptions(BrokerTls.Options(_broker, _ca));
        }

        // A fresh client per connection: the old one may be wedged on a dead socket; disposing it (in the
        // background, it may block) closes that socket.
        var old = _client;
        _client = NewClient();
        _ = Task.Run(() =>
        {
            try
            {
                old.Dispose();
            }
            catch (Exception)
            {
                // By design: the old connection is dead anyway.
            }
        });

        // Bounded here too: against a black hole the handshake can otherwise wait for the OS's TCP timeout.
        var handshake = _options.KeepAlive < PublishTimeout ? _options.KeepAlive : PublishTimeout;
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connectTimeout.CancelAfter(handshake);
        var client = _client;
        MqttClientConnectResult result;
        try
        {
            result = await Task.Run(() => client.ConnectAsync(BrokerSocket.Widen(builder.Build()), connectTimeout.Token), ct).WaitAsync(handshake + TimeSpan.FromSeconds(1), _time, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is OperationCanceledException or TimeoutException)
        {
            throw new TimeoutException($"no CONNACK within {handshake.TotalSeconds:0.#} s", ex);
        }

        if (!result.IsSessionPresent)
        {
            // The session (and with it the subscription) is new: subscribe to the hub's commands (resend requests).
            await _client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.For(_facility, _bed, Topics.Command), MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                ct);
        }

        // Whatever was not acknowledged before is now backlog, replayed oldest first.
        _journal.MarkReconnected();
        _replaying = _journal.HasBacklog;
        await PublishAsync(OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Online)), ct);
        Volatile.Write(ref _born, _client);
        Log.ConnectedWithBacklog(_logger, _bed, _broker.ToString(), result.IsSessionPresent, _journal.Backlog);
        Ring();
    }

    /// <summary>A command from the hub: a resend request is answered from the journal (see <see cref="Journal.Resend"/>).</summary>
    internal void OnCommand(string topic, System.Buffers.ReadOnlySequence<byte> payload)
    {
        try
        {
            var parsed = MessageValidator.ParseCommand(payload, _bed);
            if (!parsed.Ok)
            {
                Log.CommandRejected(_logger, _bed, parsed.Reason!.Value.Label(), parsed.Detail ?? "");
                return;
            }

            if (parsed.Message!.Action != CommandActions.Resend)
            {
                // Interlock commands are the CommandListener's.
                return;
            }

            _journal.Resend(parsed.Message.FromSeq, parsed.Message.ToSeq);
            Ring();
        }
        catch (Exception ex)
        {
            // By design: a bad command or an unreadable segment must not stop the bed; the hub asks again later.
            Log.CommandRejected(_logger, _bed, "failed", $"{topic}: {ex.Message}");
        }
    }

    private StatusMessage CurrentStatus(string state) =>
        _status() with { State = state, Delivery = _journal.Status(), Clock = _clock() };

    private async Task DrainAsync(CancellationToken ct)
    {
        // Publishes already on their way get a grace period when the bed stops instead of being cancelled at once: a
        // QoS 1 publish cancelled mid-flight leaves a PUBACK the client no longer expects, and the client then drops
        // the connection (MQTTnet), just when the stop wants it to deliver what is left.
        using var inFlight = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var stopping = ct.Register(() => inFlight.CancelAfter(StopGrace));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await DrainOnceAsync(ct, inFlight.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // By design: a failing iteration never stops the bed; every message stays journaled.
                Log.PublishFailed(_logger, _bed, ex.Message);
                await DelayQuietly(TimeSpan.FromMilliseconds(200), ct);
            }
        }
    }

    /// <summary>One step of the drain loop: the status if due, else one journaled message, else wait.</summary>
    internal async Task DrainOnceAsync(CancellationToken ct, CancellationToken inFlight)
    {
        if (_client.IsConnected && Interlocked.Exchange(ref _statusDirty, 0) == 1)
        {
            try
            {
                await PublishAsync(OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Online)), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Interlocked.Exchange(ref _statusDirty, 1);
                throw;
            }
        }

        var batch = new List<(JournalEntry Entry, bool Replay)>(PublishWindow);
        while (batch.Count < PublishWindow && _journal.Next(_replayBudget.Available(), out var isReplay) is { } next)
        {
            if (isReplay)
            {
                _replayBudget.Take();
            }

            batch.Add((next, isReplay));
        }

        if (batch.Count == 0)
        {
            if (_replaying && !_journal.HasBacklog)
            {
                _replaying = false;
                Log.ReplayFinished(_logger, _bed);
                Interlocked.Exchange(ref _statusDirty, 1);
                return;
            }

            var wait = _journal.HasBacklog ? _replayBudget.UntilNext() : TimeSpan.FromSeconds(1);
            await WaitForDoorbellAsync(wait, ct);
            return;
        }

        // Up to PublishWindow QoS 1 publishes in flight at once: a round trip per message would cap a bed at a few
        // hundred messages/s on a busy machine, too slow to catch up after an outage.
        var failures = await Task.WhenAll(batch.Select(b => PublishEntryAsync(b.Entry, b.Replay, inFlight)));
        if (failures.OfType<BrokenCircuitException>().FirstOrDefault() is { } broken)
        {
            Log.CircuitOpen(_logger, _bed, _journal.Backlog);
            await DelayQuietly(broken.RetryAfter ?? BreakDuration, ct);
            return;
        }

        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            ct.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Publishes one journaled message through the resilience pipeline; the failure, or null once acknowledged.</summary>
    private async Task<Exception?> PublishEntryAsync(JournalEntry entry, bool isReplay, CancellationToken ct)
    {
        try
        {
            var topic = Topics.For(_facility, _bed, entry.TopicKind);
            await _publishPipeline.ExecuteAsync(
                async t =>
                {
                    // Reconnecting here (not in OnRetry) lets the circuit breaker's half-open probe succeed.
                    await EnsureConnectedAsync(ping: false, t);
                    await PublishAsync(topic, entry.Payload, retain: false, t);
                },
                ct);
            _journal.Acknowledge(entry);
            Interlocked.Exchange(ref _lastAckTimestamp, _time.GetTimestamp());
            Interlocked.Increment(ref _published);
            if (isReplay)
            {
                Interlocked.Increment(ref _replayed);
            }

            return null;
        }
        catch (Exception ex)
        {
            // The message stays journaled (or, if a bound removed it meanwhile, is reported as a gap).
            _journal.Failed(entry);
            return ex;
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.JournalFlushInterval, _time, ct);
                if (_journal.Flush())
                {
                    Ring();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // By design: a failing fsync is logged; the records stay in memory and are published anyway.
                Log.JournalWriteFailed(_logger, _bed, ex.Message);
            }
        }
    }

    private void Ring() => _doorbell.Writer.TryWrite(true);

    private async Task WaitForDoorbellAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _doorbell.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private Task PublishAsync(OutgoingMessage message, CancellationToken ct) => PublishAsync(message.Topic, message.Payload, message.Retain, ct);

    private async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, bool retain, CancellationToken ct)
    {
        var result = await _client.PublishAsync(
            new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(retain)
                .Build(),
            ct);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"broker refused publish to {topic}: {result.ReasonCode}");
        }
    }

    private async Task DelayQuietly(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Clean shutdown: delivers what the journal holds for up to 10 s, reconnecting if the connection is down (a
    /// connection lost just before the stop must not leave data behind that a moment's reconnect would deliver); what
    /// is left stays journaled for the next start, and is logged. Then publishes the final status (offline, with the
    /// backlog left), disconnects and closes the journal.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _journal.Flush();
            using (var drain = new CancellationTokenSource(ShutdownDrain, _time))
            {
                var failures = 0;
                while (!drain.IsCancellationRequested && failures < 3 && _journal.Next(replayAllowed: true, out _) is { } entry)
                {
                    try
                    {
                        await EnsureConnectedAsync(ping: false, drain.Token);
                        await PublishAsync(Topics.For(_facility, _bed, entry.TopicKind), entry.Payload, retain: false, drain.Token);
                        _journal.Acknowledge(entry);
                        failures = 0;
                    }
                    catch (Exception ex)
                    {
                        // By design: what is not delivered now stays journaled for the next start.
                        _journal.Failed(entry);
                        failures++;
                        Log.PublishFailed(_logger, _bed, ex.Message);
                    }
                }
            }

            if (_journal.Backlog > 0)
            {
                Log.StoppedWithBacklog(_logger, _bed, _journal.Backlog);
            }

            if (_client.IsConnected)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3), _time);
                await PublishAsync(OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Offline)), cts.Token);
                await _client.DisconnectAsync(cancellationToken: cts.Token);
            }
        }
        catch (Exception ex)
        {
            // By design: shutdown goes on; the broker's last will reports the bed offline anyway.
            Log.PublishFailed(_logger, _bed, ex.Message);
        }

        _journal.Dispose();
        _client.Dispose();
        _connectLock.Dispose();
    }

    /// <summary>The replay budget: <c>rate</c> tokens a second, bursts of a tenth of a second.</summary>
    private sealed class TokenBucket(double rate, TimeProvider time)
    {
        private readonly double _capacity = Math.Max(1, rate / 10);
        private double _tokens = Math.Max(1, rate / 10);
        private long _last = time.GetTimestamp();

        public bool Available()
        {
            Refill();
            return _tokens >= 1;
        }

        public void Take() => _tokens -= 1;

        public TimeSpan UntilNext()
        {
            Refill();
            var wait = TimeSpan.FromSeconds(Math.Max(0, (1 - _tokens) / rate));
            return wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
        }

        private void Refill()
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * rate));
            _last = now;
        }
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.CircuitBreaker;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;

namespace Somnis.Edge.Publishing;

/// <summary>
/// One bed's MQTT connection and its store-and-forward path. Data messages go into the bed's <see cref="Journal"/>
/// first and leave it only after the broker's QoS 1 acknowledgement (PUBACK), so a dropped connection, a broker restart
/// or an edge crash delays data but does not lose it.
/// <list type="bullet">
/// <item>The connection is an <see cref="MqttConnection"/> (<see cref="BrokerLinks.Data"/>): broker list, reconnect with
/// jittered backoff, persistent session, last will = retained offline status. A connection counts once its birth
/// status is out (<see cref="EstablishAsync"/>).</item>
/// <item>A drain loop publishes journaled messages through the bed's <see cref="PublishPipeline"/>: retry → circuit
/// breaker → timeout. The delegate reconnects itself when the backoff allows it; when the circuit is open the message
/// simply stays journaled.</item>
/// <item>After every reconnect, what was pending becomes the backlog and is replayed oldest first at no more than
/// <see cref="EdgeOptions.ReplayRate"/> per second, while live messages go out as soon as they are fsynced.</item>
/// </list>
/// Status is state, not history: it is not journaled; the newest one (with the backlog and clock quality) is built
/// and sent at connect, every <see cref="EdgeOptions.StatusInterval"/>, on a sensor change and when a replay finishes.
/// </summary>
internal sealed class BedLink : IAsyncDisposable
{
    /// <summary>How long a clean stop goes on delivering the journal (systemd's stop timeout is 90 s by default).</summary>
    private static readonly TimeSpan ShutdownDrain = TimeSpan.FromSeconds(10);

    /// <summary>How long publishes already in flight may still take once the bed stops.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private const int PublishWindow = 32;

    private readonly string _facility;
    private readonly string _bed;
    private readonly EdgeOptions _options;
    private readonly Journal _journal;
    private readonly Func<StatusMessage> _status;
    private readonly Func<ClockStatus> _clock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MqttConnection _connection;
    private readonly Doorbell _doorbell;
    private readonly ResiliencePipeline _publishPipeline;
    private readonly TokenBucket _replayBudget;
    private int _statusDirty;
    private long _published;
    private long _replayed;
    private bool _replaying;

    public BedLink(
        string facility,
        string bed,
        EdgeOptions options,
        Journal journal,
        Func<StatusMessage> status,
        Func<ClockStatus> clock,
        ResiliencePipeline publishPipeline,
        TimeProvider time,
        ILogger logger,
        Random? random = null)
    {
        _facility = facility;
        _bed = bed;
        _options = options;
        _journal = journal;
        _status = status;
        _clock = clock;
        _publishPipeline = publishPipeline;
        _time = time;
        _logger = logger;
        _replayBudget = new TokenBucket(options.ReplayRate, time);
        _doorbell = new Doorbell(time);
        var will = () => JsonSerializer.SerializeToUtf8Bytes(CurrentStatus(DeviceStates.Offline), SomnisJsonContext.Default.StatusMessage);
        _connection = new MqttConnection(BrokerLinks.Data(options, facility, bed, will), time, random)
        {
            MessageReceived = e =>
            {
                OnCommand(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
                return Task.CompletedTask;
            },
            Establishing = EstablishAsync,
        };
        _connection.ConnectFailed += (broker, ex, _) => Log.ConnectFailed(_logger, _bed, broker.ToString(), ex.Message);
        _connection.PingUnanswered += (_, timeout) => Log.PingUnanswered(_logger, _bed, timeout);
        _connection.Disconnected += (broker, reason) => Log.ConnectionLost(_logger, _bed, broker.ToString(), reason);
        _connection.Connected += session =>
        {
            Log.ConnectedWithBacklog(_logger, _bed, session.Broker.ToString(), session.SessionPresent, _journal.Backlog);
            Ring();
        };
    }

    public string Bed => _bed;

    public bool IsConnected => _connection.IsConnected;

    /// <summary>The bed's data connection (state and events, for metrics).</summary>
    internal MqttConnection Connection => _connection;

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
        var connection = _connection.RunAsync(ct);
        var drain = DrainAsync(ct);
        var flush = FlushAsync(ct);
        var nextStatus = _time.GetUtcNow() + _options.StatusInterval;
        var tick = _options.StatusInterval < TimeSpan.FromSeconds(1) ? _options.StatusInterval : TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
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
        }

        await connection;
        await drain;
        await flush;
    }

    /// <summary>
    /// Runs on every new connection before it carries data: whatever was not acknowledged before becomes the backlog, and
    /// the birth status goes out first. Data published before the birth could reach the hub ahead of a birth that carries
    /// a lower sequence number, which would read as an edge that lost its numbering.
    /// </summary>
    private async Task EstablishAsync(MqttSession session, CancellationToken ct)
    {
        _journal.MarkReconnected();
        _replaying = _journal.HasBacklog;
        await PublishAsync(session.Client, OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Online)), ct);
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
        if (_connection.Client is { } client && Interlocked.Exchange(ref _statusDirty, 0) == 1)
        {
            try
            {
                await PublishAsync(client, OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Online)), ct);
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
            await _doorbell.WaitAsync(wait, ct);
            return;
        }

        // Up to PublishWindow QoS 1 publishes in flight at once: one round trip per message, on a busy machine, is too
        // slow a replay to catch up after an outage.
        var failures = await Task.WhenAll(batch.Select(b => PublishEntryAsync(b.Entry, b.Replay, inFlight)));
        if (failures.OfType<BrokenCircuitException>().FirstOrDefault() is { } broken)
        {
            Log.CircuitOpen(_logger, _bed, _journal.Backlog);
            await DelayQuietly(broken.RetryAfter ?? PublishPipeline.BreakDuration, ct);
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
                    var client = await _connection.EnsureConnectedAsync(t);
                    await PublishAsync(client, topic, entry.Payload, retain: false, t);
                },
                ct);
            _journal.Acknowledge(entry);
            // A PUBACK proves the connection alive: no ping needed (a ping queued behind a full publish window on a busy
            // machine could otherwise time out and drop a healthy connection).
            _connection.ReportAlive();
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

    private void Ring() => _doorbell.Ring();

    private static Task PublishAsync(IMqttClient client, OutgoingMessage message, CancellationToken ct) =>
        PublishAsync(client, message.Topic, message.Payload, message.Retain, ct);

    private static async Task PublishAsync(IMqttClient client, string topic, ReadOnlyMemory<byte> payload, bool retain, CancellationToken ct)
    {
        var result = await client.PublishAsync(
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
                        var connected = await _connection.EnsureConnectedAsync(drain.Token, evenDuringBackoff: true);
                        await PublishAsync(connected, Topics.For(_facility, _bed, entry.TopicKind), entry.Payload, retain: false, drain.Token);
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

            if (_connection.Client is { } client)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3), _time);
                await PublishAsync(client, OutgoingMessage.Status(_facility, CurrentStatus(DeviceStates.Offline)), cts.Token);
                await _connection.DisconnectAsync(TimeSpan.FromSeconds(3));
            }
        }
        catch (Exception ex)
        {
            // By design: shutdown goes on; the broker's last will reports the bed offline anyway.
            Log.PublishFailed(_logger, _bed, ex.Message);
        }

        _journal.Dispose();
        await _connection.DisposeAsync();
    }
}

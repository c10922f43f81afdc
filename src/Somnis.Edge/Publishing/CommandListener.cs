using Microsoft.Extensions.Logging;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;

namespace Somnis.Edge.Publishing;

/// <summary>
/// Receives the hub's commands for one bed on <c>somnis/{facility}/beds/{bed}/cmd</c> (its own MQTT connection,
/// <see cref="BrokerLinks.Command"/>, so the data link is untouched) and applies them to the bed's interlock through the <see cref="BedRunner"/>, which reports
/// the new state. Commands are published retained by the hub: on every (re)connect the edge gets the state the hub
/// wants. Local safe rule (docs/alarms.md): while this client has had no broker connection for longer than
/// <see cref="EdgeOptions.InterlockFailSafeAfter"/>, the interlock is engaged locally; it is lifted when the connection
/// is back (the retained command then decides).
/// </summary>
internal sealed class CommandListener : IAsyncDisposable
{
    private readonly BedRunner _runner;
    private readonly EdgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MqttConnection _connection;
    private readonly string _topic;
    private string? _lastCommandId;
    private DateTimeOffset _connectedOrStarted;
    private bool _failSafe;

    public CommandListener(string facility, BedRunner runner, EdgeOptions options, TimeProvider time, ILogger logger, Random? random = null)
    {
        _runner = runner;
        _options = options;
        _time = time;
        _logger = logger;
        _topic = Topics.For(facility, runner.Bed, Topics.Command);
        _connectedOrStarted = time.GetUtcNow();
        _connection = new MqttConnection(BrokerLinks.Command(options, facility, runner.Bed), time, random)
        {
            MessageReceived = e =>
            {
                Handle(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
                return Task.CompletedTask;
            },
        };
        _connection.ConnectFailed += (broker, ex, _) => Log.CommandConnectFailed(_logger, _runner.Bed, broker.ToString(), ex.Message);
        _connection.Connected += session => Log.CommandConnected(_logger, _runner.Bed, session.Broker.ToString());
        _connection.Disconnected += (broker, reason) => Log.CommandConnectionLost(_logger, _runner.Bed, broker.ToString(), reason);
        _connection.PingUnanswered += (broker, timeout) => Log.CommandPingUnanswered(_logger, _runner.Bed, broker.ToString(), timeout);
    }

    public bool IsConnected => _connection.IsConnected;

    /// <summary>The bed's command connection (state and events, for metrics).</summary>
    internal MqttConnection Connection => _connection;

    /// <summary>Applies one command payload (tests call it directly). Invalid commands are rejected and logged, never applied.</summary>
    internal void Handle(string topic, System.Buffers.ReadOnlySequence<byte> payload)
    {
        if (topic != _topic || payload.IsEmpty)
        {
            return;
        }

        var parsed = MessageValidator.ParseCommand(payload, _runner.Bed);
        if (!parsed.Ok)
        {
            Log.InterlockCommandRejected(_logger, _runner.Bed, parsed.Reason!.Value.Label(), parsed.Detail ?? "");
            return;
        }

        var command = parsed.Message!;
        if (command.Action == CommandActions.Resend)
        {
            // Resend requests are the BedLink's (answered from the journal).
            return;
        }

        if (command.Id == _lastCommandId)
        {
            // A QoS 1 redelivery or the same retained command after a reconnect: already applied and confirmed.
            return;
        }

        _lastCommandId = command.Id;
        _runner.ApplyCommand(command.Action == CommandActions.Pause, command.Id);
    }

    /// <summary>Keeps the command subscription up and runs the local safe rule until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _connectedOrStarted = _time.GetUtcNow();
        var connection = _connection.RunAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                CheckConnection();
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }

        await connection;
        await _connection.DisconnectAsync(TimeSpan.FromSeconds(2));
    }

    /// <summary>One round of the safe rule: connected, it is lifted (the retained command decides); else it may engage.</summary>
    internal void CheckConnection()
    {
        if (!_connection.IsConnected)
        {
            CheckFailSafe();
            return;
        }

        _connectedOrStarted = _time.GetUtcNow();
        if (_failSafe)
        {
            _failSafe = false;
            _runner.SetLocalSafe(false);
        }
    }

    /// <summary>The local safe rule; called while disconnected.</summary>
    internal void CheckFailSafe()
    {
        var after = _options.InterlockFailSafeAfter;
        var elapsed = _time.GetUtcNow() - _connectedOrStarted;
        if (after > TimeSpan.Zero && !_failSafe && elapsed >= after)
        {
            _failSafe = true;
            Log.InterlockFailSafe(_logger, _runner.Bed, elapsed);
            _runner.SetLocalSafe(true);
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

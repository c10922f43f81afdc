using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// Receives the hub's commands for one bed on <c>somnis/{facility}/beds/{bed}/cmd</c> (its own MQTT client, so the
/// data link is untouched) and applies them to the bed's interlock through the <see cref="BedRunner"/>, which reports
/// the new state. Commands are published retained by the hub: on every (re)connect the edge gets the state the hub
/// wants. Local safe rule (docs/alarms.md): while this client has had no broker connection for longer than
/// <see cref="EdgeOptions.InterlockFailSafeAfter"/>, the interlock is engaged locally; it is lifted when the connection
/// is back (the retained command then decides).
/// </summary>
internal sealed class CommandListener : IDisposable
{
    private readonly string _facility;
    private readonly BedRunner _runner;
    private readonly EdgeOptions _options;
    private readonly BrokerAddress _broker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly string _topic;
    private string? _lastCommandId;
    private DateTimeOffset _connectedOrStarted;
    private bool _failSafe;

    public CommandListener(string facility, BedRunner runner, EdgeOptions options, TimeProvider time, ILogger logger)
    {
        _facility = facility;
        _runner = runner;
        _options = options;
        _broker = BrokerAddress.Parse(options.Broker);
        _time = time;
        _logger = logger;
        _topic = Topics.For(facility, runner.Bed, Topics.Command);
        _connectedOrStarted = time.GetUtcNow();
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Handle(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
    }

    public bool IsConnected => _client.IsConnected;

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
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected || !await _client.TryPingAsync(ct))
                {
                    CheckFailSafe();
                    await ConnectAsync(ct);
                    backoff = TimeSpan.FromMilliseconds(250);
                }

                _connectedOrStarted = _time.GetUtcNow();
                if (_failSafe)
                {
                    _failSafe = false;
                    _runner.SetLocalSafe(false);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: the broker being away is expected; retry with jittered backoff and let the safe rule decide.
                Log.CommandConnectFailed(_logger, _runner.Bed, _broker.ToString(), ex.Message);
                CheckFailSafe();
                try
                {
                    await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()), _time, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
            }
        }

        if (_client.IsConnected)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _client.DisconnectAsync(cancellationToken: cts.Token);
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

    private async Task ConnectAsync(CancellationToken ct)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, _broker.Port)
            .WithClientId($"edge-{_facility}-{_runner.Bed}-cmd")
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (_options.BrokerUsername is { Length: > 0 } user)
        {
            builder = builder.WithCredentials(user, _options.BrokerPassword);
        }

        if (_broker.Tls)
        {
            builder = builder.WithTlsOptions(o => o.UseTls());
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(cancellationToken: ct);
        }

        await _client.ConnectAsync(builder.Build(), ct);
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
    }

    public void Dispose() => _client.Dispose();
}

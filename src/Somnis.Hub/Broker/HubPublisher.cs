using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts.Mqtt;

namespace Somnis.Hub.Broker;

/// <summary>One MQTT message the hub sends (alarm state, a command to an edge, a resend request).</summary>
internal sealed record HubMessage(string Topic, byte[] Payload, bool Retain);

/// <summary>
/// Publishes the hub's own messages (alarm states, Architect commands, resend requests) over a connection of its own
/// (<see cref="BrokerConnections.Publisher"/>: same account as the subscriber, the only one the broker lets publish
/// <c>cmd</c>), so publishing never waits behind ingestion. Queued and sent QoS 1 in order; a message leaves the queue
/// only after the broker acknowledged it, or refused it for good (not authorised, invalid topic or payload: dropped,
/// counted and logged, so that one refused message cannot hold up every later command). The queue is bounded: when full,
/// the oldest message is dropped and counted (metric <c>somnis.alarms.publish_dropped</c>, tag <c>reason</c>).
/// </summary>
internal sealed class HubPublisher : BackgroundService
{
    private const int Capacity = 10_000;
    private readonly BrokerEndpoint _endpoint;
    private readonly IOptions<BrokerOptions> _options;
    private readonly MqttConnectionMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<HubPublisher> _logger;
    private readonly Channel<HubMessage> _queue;
    private readonly Counter<long> _dropped;
    private MqttConnection? _connection;
    private long _sent;

    public HubPublisher(BrokerEndpoint endpoint, IOptions<BrokerOptions> options, MqttConnectionMetrics metrics, TimeProvider time, IMeterFactory meters, ILogger<HubPublisher> logger)
    {
        _endpoint = endpoint;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _dropped = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.alarms.publish_dropped", "{message}", "Hub MQTT messages dropped: queue full, or refused by the broker");
        _queue = Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }, m =>
        {
            _dropped.Add(1, new KeyValuePair<string, object?>("reason", "queue-full"));
            Log.HubPublishDropped(_logger, m.Topic);
        });
    }

    public long Sent => Interlocked.Read(ref _sent);

    public int Queued => _queue.Reader.Count;

    /// <summary>The publisher's connection, once started.</summary>
    public MqttConnection? Connection => Volatile.Read(ref _connection);

    public void Enqueue(HubMessage message) => _queue.Writer.TryWrite(message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connection = new MqttConnection(BrokerConnections.Publisher(_endpoint, _options.Value), _time);
        connection.Connected += s => Log.MqttConnected(_logger, "publisher", s.Broker.ToString(), s.SessionPresent);
        connection.ConnectFailed += (broker, ex, retryIn) => Log.MqttConnectFailed(_logger, "publisher", broker.ToString(), ex.Message, retryIn);
        connection.Disconnected += (broker, reason) => Log.MqttConnectionLost(_logger, "publisher", broker.ToString(), reason);
        connection.PingUnanswered += (broker, timeout) => Log.MqttPingUnanswered(_logger, "publisher", broker.ToString(), timeout);
        _metrics.Watch("publisher", connection);
        Log.MqttConfigured(_logger, "publisher", _endpoint.Url, connection.Options.Version.Label(), connection.Options.ClientId);
        Volatile.Write(ref _connection, connection);
        var supervision = connection.RunAsync(stoppingToken);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_queue.Reader.TryPeek(out var m))
                {
                    await SendAsync(connection, m, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await supervision;
        await connection.DisconnectAsync(TimeSpan.FromSeconds(2));
    }

    /// <summary>Sends the message at the head of the queue once; it leaves the queue when acknowledged or refused for good.</summary>
    private async Task SendAsync(MqttConnection connection, HubMessage m, CancellationToken ct)
    {
        try
        {
            var client = await connection.WaitForConnectionAsync(ct);
            var result = await client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(m.Topic).WithPayload(m.Payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(m.Retain).Build(),
                ct);
            if (!result.IsSuccess && !RefusedForGood(result.ReasonCode))
            {
                throw new InvalidOperationException($"broker refused {m.Topic}: {result.ReasonCode}");
            }

            _queue.Reader.TryRead(out _);
            connection.ReportAlive();
            if (result.IsSuccess)
            {
                Interlocked.Increment(ref _sent);
            }
            else
            {
                _dropped.Add(1, new KeyValuePair<string, object?>("reason", "refused"));
                Log.HubPublishRefused(_logger, m.Topic, result.ReasonCode.ToString());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // By design: the message stays at the head of the queue and is sent once the connection is back.
            Log.HubPublishFailed(_logger, m.Topic, ex.Message);
            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, ct);
        }
    }

    /// <summary>Refusals that the same message would get again (an ACL, a malformed topic or payload).</summary>
    private static bool RefusedForGood(MqttClientPublishReasonCode code) =>
        code is MqttClientPublishReasonCode.NotAuthorized or MqttClientPublishReasonCode.TopicNameInvalid or MqttClientPublishReasonCode.PayloadFormatInvalid;
}

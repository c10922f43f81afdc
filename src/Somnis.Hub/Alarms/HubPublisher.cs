using System.Diagnostics.Metrics;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Alarms;

/// <summary>One MQTT message the hub sends (alarm state or a command to an edge).</summary>
internal sealed record HubMessage(string Topic, byte[] Payload, bool Retain);

/// <summary>
/// Publishes the hub's own messages (alarm states, Architect commands) through the ingestor's connection (so one
/// client, one set of credentials: the only account the broker lets publish <c>cmd</c>). Queued and sent QoS 1 in order;
/// a message leaves the queue only after the broker acknowledged it. The queue is bounded: when full, the oldest
/// message is dropped and counted (metric <c>somnis.alarms.publish_dropped</c>).
/// </summary>
internal sealed class HubPublisher : BackgroundService
{
    private const int Capacity = 10_000;
    private readonly MqttIngestor _ingestor;
    private readonly TimeProvider _time;
    private readonly ILogger<HubPublisher> _logger;
    private readonly Channel<HubMessage> _queue;
    private readonly Counter<long> _dropped;
    private long _sent;

    public HubPublisher(MqttIngestor ingestor, TimeProvider time, IMeterFactory meters, ILogger<HubPublisher> logger)
    {
        _ingestor = ingestor;
        _time = time;
        _logger = logger;
        _dropped = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.alarms.publish_dropped", "{message}", "Hub MQTT messages dropped because the queue was full");
        _queue = Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }, m =>
        {
            _dropped.Add(1);
            Log.HubPublishDropped(_logger, m.Topic);
        });
    }

    public long Sent => Interlocked.Read(ref _sent);

    public int Queued => _queue.Reader.Count;

    public void Enqueue(HubMessage message) => _queue.Writer.TryWrite(message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_queue.Reader.TryPeek(out var m))
                {
                    try
                    {
                        if (_ingestor.Client is not { IsConnected: true } client)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stoppingToken);
                            continue;
                        }

                        var result = await client.PublishAsync(
                            new MqttApplicationMessageBuilder().WithTopic(m.Topic).WithPayload(m.Payload)
                                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(m.Retain).Build(),
                            stoppingToken);
                        if (!result.IsSuccess)
                        {
                            throw new InvalidOperationException($"broker refused {m.Topic}: {result.ReasonCode}");
                        }

                        _queue.Reader.TryRead(out _);
                        Interlocked.Increment(ref _sent);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        // By design: the message stays at the head of the queue and is sent once the connection is back.
                        Log.HubPublishFailed(_logger, m.Topic, ex.Message);
                        await Task.Delay(TimeSpan.FromMilliseconds(250), _time, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

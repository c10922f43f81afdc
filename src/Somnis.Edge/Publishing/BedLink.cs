using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// One bed's MQTT connection: a reconnect loop (ping, connect with last will, birth message) and an outbound queue
/// drained with QoS 1. A message leaves the queue only after the broker acknowledged it, so a dropped connection
/// delays data but does not lose it. The queue is bounded; when the bound forces a drop, the oldest message goes
/// and the drop is counted and logged.
/// </summary>
internal sealed class BedLink : IAsyncDisposable
{
    private readonly string _facility;
    private readonly string _bed;
    private readonly BrokerAddress _broker;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _ca;
    private readonly EdgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly Channel<OutgoingMessage> _queue;
    private readonly SemaphoreSlim _connected = new(0, 1);
    private readonly Func<StatusMessage> _status;
    private long _dropped;

    public BedLink(string facility, string bed, EdgeOptions options, Func<StatusMessage> status, TimeProvider time, ILogger logger, int capacity = 100_000)
    {
        _facility = facility;
        _bed = bed;
        _options = options;
        _broker = BrokerAddress.Parse(options.Broker);
        _ca = BrokerTls.LoadCa(options.BrokerCaCertificate);
        _status = status;
        _time = time;
        _logger = logger;
        _client = new MqttClientFactory().CreateMqttClient();
        _queue = Channel.CreateBounded<OutgoingMessage>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                Interlocked.Increment(ref _dropped);
                Log.QueueDropped(_logger, _bed, dropped.Seq ?? -1);
            });
    }

    public string Bed => _bed;

    public bool IsConnected => _client.IsConnected;

    /// <summary>Messages dropped because the queue bound was reached.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public int Backlog => _queue.Reader.Count;

    public ValueTask EnqueueAsync(OutgoingMessage message, CancellationToken ct) => _queue.Writer.WriteAsync(message, ct);

    /// <summary>Keeps the connection up and drains the queue until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var drain = DrainAsync(ct);
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected || !await _client.TryPingAsync(ct))
                {
                    await ConnectAsync(ct);
                    backoff = TimeSpan.FromMilliseconds(250);
                }

                await Task.Delay(TimeSpan.FromSeconds(2), _time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: any connection failure is retried with jittered exponential backoff, forever.
                Log.ConnectFailed(_logger, _bed, _broker.ToString(), ex.Message);
                var jitter = 0.5 + Random.Shared.NextDouble();
                await DelayQuietly(TimeSpan.FromMilliseconds(backoff.TotalMilliseconds * jitter), ct);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 30_000));
            }
        }

        await drain;
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var status = _status();
        var will = status with { State = DeviceStates.Offline, Ts = _time.GetUtcNow() };
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_broker.Host, _broker.Port)
            .WithClientId($"edge-{_facility}-{_bed}")
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromSeconds(10))
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

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(cancellationToken: ct);
        }

        await _client.ConnectAsync(builder.Build(), ct);
        await PublishAsync(OutgoingMessage.Status(_facility, status), ct);
        Log.Connected(_logger, _bed, _broker.ToString());
        if (_connected.CurrentCount == 0)
        {
            _connected.Release();
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(ct))
            {
                while (_queue.Reader.TryPeek(out var message))
                {
                    try
                    {
                        if (!_client.IsConnected)
                        {
                            await _connected.WaitAsync(ct);
                            continue;
                        }

                        await PublishAsync(message, ct);
                        _queue.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        // By design: the message stays at the head of the queue and goes out after the reconnect.
                        Log.PublishFailed(_logger, _bed, ex.Message);
                        await DelayQuietly(TimeSpan.FromMilliseconds(200), ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task PublishAsync(OutgoingMessage message, CancellationToken ct)
    {
        var result = await _client.PublishAsync(
            new MqttApplicationMessageBuilder()
                .WithTopic(message.Topic)
                .WithPayload(message.Payload.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(message.Retain)
                .Build(),
            ct);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"broker refused publish to {message.Topic}: {result.ReasonCode}");
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

    /// <summary>Publishes the final status (offline, clean shutdown) and disconnects; the broker then drops the will.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                var status = _status() with { State = DeviceStates.Offline, Ts = _time.GetUtcNow() };
                await PublishAsync(OutgoingMessage.Status(_facility, status), cts.Token);
                await _client.DisconnectAsync(cancellationToken: cts.Token);
            }
        }
        catch (Exception ex)
        {
            // By design: shutdown goes on; the broker's last will reports the bed offline anyway.
            Log.PublishFailed(_logger, _bed, ex.Message);
        }

        _client.Dispose();
        _connected.Dispose();
    }
}

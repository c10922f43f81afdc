using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;

namespace Somnis.Bench;

/// <summary>
/// Publishes messages QoS 1 over several MQTT connections (beds are spread over them, bed i on connection i % n, so a bed's
/// messages stay in order), each with a bounded number of publishes awaiting their PUBACK. Optionally paced to a total rate.
/// Records when each message was handed to the client, for latency measurements.
/// </summary>
internal sealed class Publisher : IAsyncDisposable
{
    private readonly IMqttClient[] _clients;
    private readonly int _inflight;

    private Publisher(IMqttClient[] clients, int inflight)
    {
        _clients = clients;
        _inflight = inflight;
    }

    /// <param name="v311">MQTT 3.1.1 with a user (nats-server speaks nothing newer); default MQTT 5, anonymous.</param>
    public static async Task<Publisher> ConnectAsync(string host, int port, string name, int connections, int inflight, CancellationToken ct, (string User, string Password)? v311 = null)
    {
        var clients = new IMqttClient[connections];
        var factory = new MqttClientFactory();
        for (var i = 0; i < connections; i++)
        {
            clients[i] = factory.CreateMqttClient();
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId($"{name}-{i}-{Environment.ProcessId}")
                .WithCleanStart(true)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                .WithTimeout(TimeSpan.FromSeconds(30));
            if (v311 is var (user, password))
            {
                options = options.WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311).WithCredentials(user, password);
            }

            // The same socket buffers as edge and hub (MQTTnet's 8 KiB default turns off TCP window scaling).
            await clients[i].ConnectAsync(Somnis.Contracts.Mqtt.BrokerSocket.Widen(options.Build()), ct);
        }

        return new Publisher(clients, inflight);
    }

    /// <summary>
    /// Publishes all messages; returns when every one is acknowledged by the broker. With <paramref name="rate"/> &gt; 0
    /// (messages/s over all connections) publishing is paced; with 0 it goes as fast as the broker acknowledges.
    /// <paramref name="sent"/>, if given, receives the <see cref="Stopwatch"/> timestamp of each message's publish.
    /// </summary>
    public async Task PublishAsync(IReadOnlyList<BenchMessage> messages, double rate, long[]? sent, bool retain, CancellationToken ct)
    {
        var n = _clients.Length;
        var start = Stopwatch.GetTimestamp();
        var perConnectionRate = rate / n;
        var workers = new Task[n];
        for (var c = 0; c < n; c++)
        {
            var connection = c;
            workers[c] = Task.Run(() => RunAsync(connection), ct);
        }

        await Task.WhenAll(workers);

        async Task RunAsync(int connection)
        {
            var client = _clients[connection];
            using var window = new SemaphoreSlim(_inflight);
            var pending = new List<Task>();
            var count = 0L;
            Exception? failure = null;
            for (var i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                if (m.Bed % n != connection)
                {
                    continue;
                }

                if (perConnectionRate > 0)
                {
                    // Due time of this connection's count-th message; sleep only when more than 2 ms ahead (timer granularity).
                    var due = start + (long)(count / perConnectionRate * Stopwatch.Frequency);
                    var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (ahead > TimeSpan.FromMilliseconds(2))
                    {
                        await Task.Delay(ahead, ct);
                    }
                }

                count++;
                await window.WaitAsync(ct);
                if (failure is not null)
                {
                    throw failure;
                }

                if (sent is not null)
                {
                    sent[i] = Stopwatch.GetTimestamp();
                }

                var message = new MqttApplicationMessageBuilder()
                    .WithTopic(m.Topic)
                    .WithPayload(m.Payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithRetainFlag(retain)
                    .Build();
                pending.Add(PublishOneAsync(client, message));
                if (pending.Count > 4 * _inflight)
                {
                    pending.RemoveAll(t => t.IsCompleted);
                }
            }

            await Task.WhenAll(pending);

            async Task PublishOneAsync(IMqttClient client, MqttApplicationMessage message)
            {
                try
                {
                    var result = await client.PublishAsync(message, ct);
                    if (!result.IsSuccess)
                    {
                        failure ??= new InvalidOperationException($"publish refused: {result.ReasonCode}");
                    }
                }
                catch (Exception ex)
                {
                    failure ??= ex;
                    throw;
                }
                finally
                {
                    window.Release();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync();
                }
            }
            catch (Exception)
            {
                // Best effort at the end of a phase: the broker drops the connection anyway.
            }

            client.Dispose();
        }
    }
}

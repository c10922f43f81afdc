using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// Stands in for bedside edges on a broker: publishes a bed's retained status (online or offline), exactly what an edge's
/// birth message and last will carry. Lets a test decide when a bed goes offline, and so when an edge-offline alarm is raised.
/// </summary>
public sealed class FakeEdge : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly string _facility;

    private FakeEdge(IMqttClient client, string facility)
    {
        _client = client;
        _facility = facility;
    }

    public static async Task<FakeEdge> ConnectAsync(int port, string facility = "nexus")
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("itest-fake-edge-" + Guid.NewGuid().ToString("N")[..8]).Build());
        return new FakeEdge(client, facility);
    }

    public Task OnlineAsync(string bed) => StatusAsync(bed, DeviceStates.Online);

    public Task OfflineAsync(string bed) => StatusAsync(bed, DeviceStates.Offline);

    private async Task StatusAsync(string bed, string state)
    {
        var status = new StatusMessage { Bed = bed, Seq = 0, Ts = TimeProvider.System.GetUtcNow(), State = state, Mode = "simulated", Software = "itest" };
        await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(Topics.For(_facility, bed, Topics.Status))
            .WithPayload(JsonSerializer.SerializeToUtf8Bytes(status, SomnisJsonContext.Default.StatusMessage))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag()
            .Build());
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisconnectAsync();
        _client.Dispose();
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MQTTnet.Formatter;
using Somnis.Contracts.Mqtt;
using Somnis.Hub.Broker;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Tests.Infrastructure;

namespace Somnis.Hub.Tests.Broker;

/// <summary>The hub's two broker connections in the running hub (embedded broker): settings, readiness and metrics.</summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed class BrokerConnectionsTests
{
    [Theory]
    [InlineData("3.1.1", MqttVersion.V311, MqttProtocolVersion.V311)]
    [InlineData("5", MqttVersion.V5, MqttProtocolVersion.V500)]
    public async Task The_hub_connects_subscriber_and_publisher_in_the_version_asked_for(string setting, MqttVersion version, MqttProtocolVersion wire)
    {
        await using var hub = new HubFactory(new() { ["Broker:MqttVersion"] = setting });
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        await Eventually(async () => (await client.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("checks").GetProperty("broker").GetProperty("status").GetString() == "Healthy");

        Assert.Equal(version, hub.Services.GetRequiredService<IOptions<BrokerOptions>>().Value.MqttVersion);
        var subscriber = hub.Services.GetRequiredService<MqttIngestor>().Connection!;
        var publisher = hub.Services.GetRequiredService<HubPublisher>().Connection!;
        Assert.Equal(wire, subscriber.Client!.Options.ProtocolVersion);
        Assert.Equal(wire, publisher.Client!.Options.ProtocolVersion);
        Assert.Equal(("somnis-hub", "somnis-hub-publisher"), (subscriber.Options.ClientId, publisher.Options.ClientId));

        var metrics = (await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
        Assert.Contains(metrics, l => l.StartsWith("somnis_broker_connected{", StringComparison.Ordinal) && l.EndsWith("connection=\"subscriber\"} 1", StringComparison.Ordinal));
        Assert.Contains(metrics, l => l.StartsWith("somnis_broker_connected{", StringComparison.Ordinal) && l.EndsWith("connection=\"publisher\"} 1", StringComparison.Ordinal));
        Assert.Contains(metrics, l => l.StartsWith("somnis_broker_connects_total{", StringComparison.Ordinal) && l.Contains("connection=\"subscriber\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("mqtt://a:1883,,mqtt://b:1883", "--broker (Broker:Url): entry 2 of the list must look like")]
    [InlineData("mqtt://a:1883,mqtt://a:1883", "--broker (Broker:Url): mqtt://a:1883 is listed twice")]
    public void A_bad_broker_list_is_named_at_start_up(string url, string expected) =>
        Assert.Contains(expected, new BrokerOptionsValidator().Validate(null, new BrokerOptions { Url = url }).FailureMessage, StringComparison.Ordinal);

    [Fact]
    public void An_unknown_mqtt_version_is_named_at_start_up() =>
        Assert.Contains("--mqtt-version (Broker:MqttVersion) must be 5 or 3.1.1", new BrokerOptionsValidator().Validate(null, new BrokerOptions { MqttVersion = 0 }).FailureMessage, StringComparison.Ordinal);

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
        }
    }
}

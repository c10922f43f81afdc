using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Somnis.Contracts.Mqtt;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Tests.Broker;

/// <summary>The hub's publisher on its own connection to a real (in-process MQTTnet) broker that refuses one topic, as an ACL does.</summary>
public sealed class HubPublisherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_message_the_broker_refuses_for_good_is_dropped_and_counted_and_the_next_ones_go_out()
    {
        var port = FreePort();
        var arrived = Channel.CreateUnbounded<string>();
        using var server = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port).Build());
        server.InterceptingPublishAsync += e =>
        {
            if (e.ApplicationMessage.Topic.StartsWith("somnis/nexus/alarms/", StringComparison.Ordinal))
            {
                e.ProcessPublish = false;
                e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            }
            else
            {
                arrived.Writer.TryWrite(e.ApplicationMessage.Topic);
            }

            return Task.CompletedTask;
        };
        await server.StartAsync();

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var dropped = new MetricCollector<long>(meters, HubMetrics.MeterName, "somnis.alarms.publish_dropped");
        var options = Options.Create(new BrokerOptions { Url = $"mqtt://127.0.0.1:{port}" });
        var logger = new TestLogger<HubPublisher>();
        var publisher = new HubPublisher(new BrokerEndpoint(options), options, new MqttConnectionMetrics(meters.Create("test"), "test"), TimeProvider.System, meters, logger);
        publisher.Enqueue(new HubMessage("somnis/nexus/alarms/a1", [1], Retain: true));
        publisher.Enqueue(new HubMessage("somnis/nexus/beds/bed-01/cmd", [2], Retain: false));
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            using var timeout = new CancellationTokenSource(Patience);
            Assert.Equal("somnis/nexus/beds/bed-01/cmd", await arrived.Reader.ReadAsync(timeout.Token));
            // The broker counts the message before its acknowledgement reaches the publisher.
            while (publisher.Sent < 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }

            Assert.Equal(0, publisher.Queued);
            var measurement = Assert.Single(dropped.GetMeasurementSnapshot());
            Assert.Equal("refused", measurement.Tags["reason"]);
            Assert.Contains(logger.Lines, l => l.Contains("somnis/nexus/alarms/a1 refused by the broker (NotAuthorized)", StringComparison.Ordinal));
            Assert.True(publisher.Connection!.IsConnected);
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
            await server.StopAsync();
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

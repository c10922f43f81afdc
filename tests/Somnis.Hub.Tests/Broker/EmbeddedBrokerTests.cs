using Microsoft.Extensions.Options;
using MQTTnet;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Tests.Broker;

/// <summary>The embedded broker's lifecycle: the host may stop it and the container dispose it, overlapping.</summary>
public sealed class EmbeddedBrokerTests
{
    /// <summary>CI once failed in a test's tear-down: MQTTnet's server cleans its listener list both when it is stopped
    /// and when it is disposed, unsynchronised, so a dispose that overlaps a stop still in flight (it waits for connected
    /// clients to be closed) threw "Collection was modified". Stops and the dispose now share one stop.</summary>
    [Fact]
    public async Task Overlapping_stops_and_dispose_do_not_throw()
    {
        for (var round = 0; round < 300; round++)
        {
            var endpoint = new BrokerEndpoint(Options.Create(new BrokerOptions { EmbeddedPort = FreePort() }));
            var broker = new EmbeddedBroker(endpoint, new TestLogger<EmbeddedBroker>());
            await broker.StartAsync(CancellationToken.None);
            Assert.True(broker.Running);

            // Connected clients make the stop take a while (it closes each of them), which widens the window.
            var clients = new List<IMqttClient>();
            var disconnected = new List<Task>();
            for (var i = 0; i < 4; i++)
            {
                var client = new MqttClientFactory().CreateMqttClient();
                var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                client.DisconnectedAsync += _ =>
                {
                    gone.TrySetResult();
                    return Task.CompletedTask;
                };
                await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", endpoint.Port).WithClientId($"c{round}-{i}").Build());
                clients.Add(client);
                disconnected.Add(gone.Task);
            }

            using var go = new ManualResetEventSlim();
            var stops = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
            {
                go.Wait();
                await broker.StopAsync(CancellationToken.None);
            })).ToList();
            var dispose = Task.Run(async () =>
            {
                go.Wait();
                await broker.DisposeAsync();
            });
            go.Set();
            await Task.WhenAll([.. stops, dispose]).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.False(broker.Running);

            // The broker closed them: let each client finish its own clean-up first (disposing one that is still
            // cleaning up throws inside MQTTnet's client, which is not what this test is about).
            await Task.WhenAll(disconnected).WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}

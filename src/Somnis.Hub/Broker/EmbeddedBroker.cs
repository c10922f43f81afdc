using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MQTTnet.Server;

namespace Somnis.Hub.Broker;

/// <summary>
/// The demo's in-process MQTT broker (MQTTnet), bound to loopback only. It accepts anonymous clients because only
/// processes on this machine can reach it; production uses Mosquitto with per-device credentials (deploy/).
/// </summary>
internal sealed class EmbeddedBroker(BrokerEndpoint endpoint, ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private MqttServer? _server;

    public bool Running => _server?.IsStarted == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!endpoint.Embedded)
        {
            return;
        }

        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(endpoint.Port)
            .WithPersistentSessions()
            .Build();
        if (endpoint.Port != endpoint.RequestedPort)
        {
            Log.EmbeddedPortTaken(logger, endpoint.RequestedPort, endpoint.Port);
        }

        _server = new MqttServerFactory().CreateMqttServer(options);
        await _server.StartAsync();
        Log.EmbeddedBrokerStarted(logger, endpoint.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The broker address everyone in this process uses, resolved once at start-up.</summary>
public sealed class BrokerEndpoint
{
    public BrokerEndpoint(IOptions<BrokerOptions> options)
    {
        var o = options.Value;
        Embedded = o.Embedded;
        RequestedPort = o.EmbeddedPort;
        if (Embedded)
        {
            Port = IsFree(o.EmbeddedPort) ? o.EmbeddedPort : FreePort();
            Url = $"mqtt://127.0.0.1:{Port}";
        }
        else
        {
            Url = o.Url!;
        }
    }

    public bool Embedded { get; }

    public int Port { get; }

    public int RequestedPort { get; }

    public string Url { get; }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

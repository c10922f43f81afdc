using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MQTTnet.Server;
using Somnis.Contracts.Mqtt;

namespace Somnis.Hub.Broker;

/// <summary>
/// The demo's in-process MQTT broker (MQTTnet), bound to loopback only. It accepts anonymous clients because only
/// processes on this machine can reach it; production uses Mosquitto with per-device credentials (deploy/).
/// </summary>
internal sealed class EmbeddedBroker(BrokerEndpoint endpoint, ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private MqttServer? _server;
    private Task? _stopping;

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

    /// <summary>Stops the broker once; overlapping and repeated calls share that one stop. A cancelled token ends the
    /// wait, not the stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => StopOnce().WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // MQTTnet cleans the server's listener list in both StopAsync and Dispose without a lock, and its Dispose stops
        // the server again: overlapping a stop still in flight (it closes every connected client first), one of them
        // threw "Collection was modified" (a CI tear-down). Dispose waits for the one shared stop, then disposes a
        // stopped server.
        await StopOnce();
        _server?.Dispose();
    }

    private Task StopOnce()
    {
        lock (_gate)
        {
            return _stopping ??= _server is null ? Task.CompletedTask : _server.StopAsync();
        }
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

    /// <summary>The broker setting as given (one address or a list), or the embedded broker's address.</summary>
    public string Url { get; }

    /// <summary>The brokers of <see cref="Url"/>, in order of preference.</summary>
    public IReadOnlyList<BrokerAddress> Brokers => BrokerAddress.ParseList(Url);

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

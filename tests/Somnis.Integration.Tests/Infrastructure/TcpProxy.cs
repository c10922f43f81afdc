using System.Net;
using System.Net.Sockets;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on a free loopback port in front of another port, to cut the network between an edge and the broker.
/// <see cref="Cut"/> is a black hole, like a pulled cable or a dead Wi-Fi: bytes stop flowing both ways and new
/// connections are accepted but go nowhere; nothing is closed, so each side only notices through its own timeouts
/// (MQTT keep-alive). <see cref="Restore"/> resets every connection of the cut (as the peers' TCP stacks eventually
/// would) and forwards new ones again. Only the fallback for a real cut (<see cref="VethLink"/>: a network namespace
/// and a veth pair), where the machine does not allow that (no root).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient A, TcpClient? B)> _connections = [];
    private readonly Task _accept;
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Url => $"mqtt://127.0.0.1:{Port}";

    /// <summary>Connections accepted so far (an edge reconnecting shows up here).</summary>
    public int Accepted { get; private set; }

    public void Cut() => _cut = true;

    public void Restore()
    {
        lock (_connections)
        {
            foreach (var (a, b) in _connections)
            {
                try
                {
                    // Reset, not a polite close: the peer learns the connection is dead, as after a real outage.
                    a.Client?.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                }

                a.Dispose();
                b?.Dispose();
            }

            _connections.Clear();
        }

        _cut = false;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Accepted++;
            client.NoDelay = true;
            if (_cut)
            {
                // Black hole: accepted by the "network", never answered.
                lock (_connections)
                {
                    _connections.Add((client, null));
                }

                continue;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        lock (_connections)
        {
            _connections.Add((client, upstream));
        }

        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            await Task.WhenAny(PumpAsync(client.GetStream(), upstream.GetStream()), PumpAsync(upstream.GetStream(), client.GetStream()));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                if (_cut)
                {
                    // The cable is out: what was read is gone, and nothing more is read (the sender's window fills up).
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Restore();
        await _accept;
        _stop.Dispose();
    }
}

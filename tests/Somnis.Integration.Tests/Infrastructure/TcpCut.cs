using System.Net;
using System.Net.Sockets;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on a free loopback port in front of another port, to cut one network path (an edge from the broker, a
/// hub from PostgreSQL) while everything else stays connected. <see cref="Cut"/> is a black hole, like a pulled cable
/// or a network partition: bytes stop flowing both ways and new connections are accepted but reach nothing; nothing is
/// closed, so each side only notices through its own timeouts (MQTT keep-alive, a lease deadline, a command timeout).
/// Bytes in flight are held, not dropped (TCP would retransmit them). <see cref="Heal"/> ends the partition: the same
/// connections carry on with what was held, as after a short outage that no peer timed out on; <see cref="Restore"/>
/// instead resets every connection (as the peers' TCP stacks eventually do after a long one) and forwards new ones.
/// Chosen over a network namespace for the hub's store path because it needs no CAP_NET_ADMIN and cuts exactly one path;
/// for an edge's path <see cref="VethLink"/> is the real cut where the machine allows it (root).
/// </summary>
public sealed class TcpCut : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<(TcpClient A, TcpClient B)> _connections = [];
    private readonly Task _accept;
    private TaskCompletionSource _open = Opened();
    private int _accepted;

    public TcpCut(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>The proxy as an MQTT broker address.</summary>
    public string Url => $"mqtt://127.0.0.1:{Port}";

    /// <summary>Connections accepted so far (a peer reconnecting shows up here).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections made to the target so far (none while cut).</summary>
    public int Forwarded { get; private set; }

    public bool IsCut
    {
        get
        {
            lock (_gate)
            {
                return !_open.Task.IsCompleted;
            }
        }
    }

    /// <summary>Stops forwarding both ways, on open connections and new ones; nothing is closed.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Forwards again on the same connections, held bytes first; connections accepted during the cut reach the target now.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _open.TrySetResult();
        }
    }

    /// <summary>Resets every connection (open or held by the cut) and forwards new ones again.</summary>
    public void Restore()
    {
        lock (_gate)
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
                b.Dispose();
            }

            _connections.Clear();
            _open.TrySetResult();
        }
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    /// <summary>Returns at once while not cut; during a cut, when it heals.</summary>
    private Task WhileCutAsync()
    {
        lock (_gate)
        {
            return _open.Task.WaitAsync(_stop.Token);
        }
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

            Interlocked.Increment(ref _accepted);
            client.NoDelay = true;
            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        lock (_gate)
        {
            _connections.Add((client, upstream));
        }

        try
        {
            // Accepted by the "network"; during a cut it reaches the target only when the cut heals.
            await WhileCutAsync();
            await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            lock (_gate)
            {
                Forwarded++;
            }

            await Task.WhenAny(PumpAsync(client.GetStream(), upstream.GetStream()), PumpAsync(upstream.GetStream(), client.GetStream()));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove((client, upstream));
            }

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

                // The cable is out: what was read waits, nothing more is read (the sender's window fills up).
                await WhileCutAsync();
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

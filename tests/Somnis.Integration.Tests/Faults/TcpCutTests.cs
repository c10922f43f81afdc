using System.Net;
using System.Net.Sockets;
using System.Text;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Faults;

/// <summary>The cut the HA fault tests rely on: a black hole both ways that keeps connections open, then heals them.</summary>
public sealed class TcpCutTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _echoAccepted;

    public TcpCutTests()
    {
        _echo.Start();
        _ = EchoAsync();
    }

    [Fact]
    public async Task A_cut_holds_bytes_both_ways_on_open_connections_and_heal_delivers_them_on_the_same_connection()
    {
        await using var cut = new TcpCut(((IPEndPoint)_echo.LocalEndpoint).Port);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, cut.Port);
        var stream = client.GetStream();
        Assert.Equal("one", await RoundTripAsync(stream, "one"));

        cut.Cut();
        Assert.True(cut.IsCut);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("two"));
        // Nothing comes back while cut, and the connection stays open (a read neither ends nor fails).
        var read = ReadAsync(stream, 3);
        Assert.False(await Completes(read, TimeSpan.FromSeconds(1)));

        cut.Heal();
        Assert.Equal("two", await read.WaitAsync(Patience));
        Assert.Equal("three", await RoundTripAsync(stream, "three"));
        Assert.Equal(1, cut.Forwarded);
    }

    [Fact]
    public async Task During_a_cut_new_connections_are_accepted_but_reach_the_target_only_after_heal()
    {
        await using var cut = new TcpCut(((IPEndPoint)_echo.LocalEndpoint).Port);
        cut.Cut();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, cut.Port).WaitAsync(Patience);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("held"));
        var read = ReadAsync(stream, 4);
        Assert.False(await Completes(read, TimeSpan.FromSeconds(1)));
        Assert.Equal(0, Volatile.Read(ref _echoAccepted));
        Assert.Equal(1, cut.Accepted);

        cut.Heal();
        Assert.Equal("held", await read.WaitAsync(Patience));
        Assert.Equal(1, Volatile.Read(ref _echoAccepted));
    }

    [Fact]
    public async Task Restore_resets_the_connections_of_a_cut_and_forwards_new_ones()
    {
        await using var cut = new TcpCut(((IPEndPoint)_echo.LocalEndpoint).Port);
        using var old = new TcpClient();
        await old.ConnectAsync(IPAddress.Loopback, cut.Port);
        Assert.Equal("a", await RoundTripAsync(old.GetStream(), "a"));
        cut.Cut();
        cut.Restore();

        // The old connection is reset: its next read ends (0 bytes or an error), it does not hang.
        var ended = await Record.ExceptionAsync(async () => Assert.Equal(0, await old.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(Patience)));
        Assert.True(ended is null or IOException, ended?.ToString());
        using var fresh = new TcpClient();
        await fresh.ConnectAsync(IPAddress.Loopback, cut.Port);
        Assert.Equal("b", await RoundTripAsync(fresh.GetStream(), "b"));
    }

    private static async Task<string> RoundTripAsync(NetworkStream stream, string text)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text));
        return await ReadAsync(stream, text.Length).WaitAsync(Patience);
    }

    private static async Task<string> ReadAsync(NetworkStream stream, int length)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer);
        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Whether the task completes within the time: bounds a check that nothing arrives (it can only pass wrongly, never flake).</summary>
    private static async Task<bool> Completes(Task task, TimeSpan within) => await Task.WhenAny(task, Task.Delay(within)) == task;

    private async Task EchoAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient peer;
            try
            {
                peer = await _echo.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _echoAccepted);
            _ = Task.Run(async () =>
            {
                using (peer)
                {
                    try
                    {
                        await peer.GetStream().CopyToAsync(peer.GetStream(), _stop.Token);
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _echo.Stop();
        _stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

/// <summary>The hub's broker connection stream, over a real loopback TCP connection (the seam is the socket).</summary>
public sealed class BrokerStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private BrokerStream _stream = null!;
    private Socket _peer = null!;

    public async Task InitializeAsync()
    {
        _listener.Start();
        var accept = _listener.AcceptSocketAsync();
        _stream = (BrokerStream)await new BrokerStreamProvider().ConnectAsync(_listener.LocalEndpoint, CancellationToken.None).WaitAsync(Timeout);
        _peer = await accept.WaitAsync(Timeout);
    }

    public Task DisposeAsync()
    {
        _stream.Dispose();
        _peer.Dispose();
        _listener.Stop();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Small_reads_are_served_in_order_from_one_receive_and_end_of_stream_reads_zero()
    {
        // Three MQTT-sized packets in one send, read as MQTTnet does: header bytes, then the rest.
        var sent = Enumerable.Range(0, 3 * 300).Select(i => (byte)(i * 7)).ToArray();
        await _peer.SendAsync(sent).WaitAsync(Timeout);
        var received = new List<byte>();
        while (received.Count < sent.Length)
        {
            var chunk = new byte[received.Count % 300 == 0 ? 2 : 298];
            var n = await _stream.ReadAsync(chunk).AsTask().WaitAsync(Timeout);
            Assert.True(n > 0);
            received.AddRange(chunk.Take(n));
        }

        Assert.Equal(sent, received);
        _peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await _stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_read_larger_than_the_buffer_and_the_array_and_sync_overloads_see_the_same_bytes()
    {
        var sent = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 251)).ToArray();
        var sending = _peer.SendAsync(sent);
        var received = new byte[sent.Length];
        var at = 0;
        var round = 0;
        while (at < sent.Length)
        {
            var want = Math.Min(sent.Length - at, (round++ % 3) switch { 0 => 100_000, 1 => 5, _ => 70_000 });
            var n = (round % 3) switch
            {
                0 => await _stream.ReadAsync(received, at, want).WaitAsync(Timeout),
                1 => _stream.Read(received, at, want),
                _ => await _stream.ReadAsync(received.AsMemory(at, want)).AsTask().WaitAsync(Timeout),
            };
            Assert.True(n > 0);
            at += n;
        }

        await sending.WaitAsync(Timeout);
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task Held_writes_leave_together_in_order_when_the_hold_ends_and_later_writes_go_straight_out()
    {
        var hold = _stream.HoldWrites();
        for (byte i = 1; i <= 200; i++)
        {
            // Each completes at once: nothing waits on the socket while a hold is open.
            Assert.True(_stream.WriteAsync(new byte[] { 0x40, 0x02, 0, i }).IsCompletedSuccessfully);
        }

        Assert.Equal(800, _stream.HeldBytes);
        await hold.FlushAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(0, _stream.HeldBytes);
        await _stream.WriteAsync(new byte[] { 0xC0, 0x00 }).AsTask().WaitAsync(Timeout);

        var received = await ReceiveAsync(802);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(new byte[] { 0x40, 0x02, 0, (byte)(i + 1) }, received[(4 * i)..(4 * i + 4)]);
        }

        Assert.Equal(new byte[] { 0xC0, 0x00 }, received[800..]);
    }

    [Fact]
    public async Task Holds_nest_and_only_the_last_to_end_sends()
    {
        var outer = _stream.HoldWrites();
        var inner = _stream.HoldWrites();
        await _stream.WriteAsync(new byte[] { 1, 2 });
        await inner.FlushAsync(CancellationToken.None);
        Assert.Equal(2, _stream.HeldBytes);
        await _stream.WriteAsync(new byte[] { 3 });
        await outer.FlushAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReceiveAsync(3));
    }

    [Fact]
    public async Task A_hold_ended_by_a_stopping_hub_drops_its_writes_rather_than_send_them_after_later_ones()
    {
        var hold = _stream.HoldWrites();
        await _stream.WriteAsync(new byte[] { 9, 9, 9 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await hold.FlushAsync(new CancellationToken(canceled: true)));
        Assert.Equal(0, _stream.HeldBytes);

        // Not held any more: the next write goes out on its own, and nothing of the dropped hold follows it.
        await _stream.WriteAsync(new byte[] { 5 }).AsTask().WaitAsync(Timeout);
        _stream.Dispose();
        Assert.Equal(new byte[] { 5 }, await ReceiveAllAsync());
    }

    [Fact]
    public async Task Writes_after_dispose_fail_and_a_closed_peer_surfaces_as_an_IOException()
    {
        _peer.Close();
        var failed = false;
        for (var i = 0; i < 1_000 && !failed; i++)
        {
            try
            {
                // The first sends after the peer closed can still succeed; a reset follows.
                await _stream.WriteAsync(new byte[64 * 1024]).AsTask().WaitAsync(Timeout);
            }
            catch (IOException ex)
            {
                Assert.IsType<SocketException>(ex.InnerException);
                failed = true;
            }
        }

        Assert.True(failed);
        _stream.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await _stream.WriteAsync(new byte[] { 1 }));
    }

    private async Task<byte[]> ReceiveAsync(int count)
    {
        var buffer = new byte[count];
        var at = 0;
        while (at < count)
        {
            var n = await _peer.ReceiveAsync(buffer.AsMemory(at)).AsTask().WaitAsync(Timeout);
            Assert.True(n > 0, "the connection closed early");
            at += n;
        }

        return buffer;
    }

    private async Task<byte[]> ReceiveAllAsync()
    {
        var all = new List<byte>();
        var buffer = new byte[1024];
        int n;
        while ((n = await _peer.ReceiveAsync(buffer).WaitAsync(Timeout)) > 0)
        {
            all.AddRange(buffer.Take(n));
        }

        return [.. all];
    }
}

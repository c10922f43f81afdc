using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;
using Somnis.Contracts.Mqtt;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// Opens the hub's subscriber connection as a <see cref="BrokerStream"/> (MQTTnet's stream seam; TLS, when configured,
/// is layered on top by MQTTnet). Keeps the current stream so the checkpoint can send its acknowledgements as one write.
/// </summary>
internal sealed class BrokerStreamProvider : IMqttClientStreamProvider
{
    private BrokerStream? _current;

    /// <summary>The stream of the latest connection, or null before the first.</summary>
    public BrokerStream? Current => Volatile.Read(ref _current);

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        // As MQTTnet would open it (no Nagle delay), with the buffers of BrokerSocket.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = BrokerSocket.BufferBytes,
            SendBufferSize = BrokerSocket.BufferBytes,
        };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new BrokerStream(socket);
        Volatile.Write(ref _current, stream);
        return stream;
    }
}

/// <summary>
/// A socket stream that reads ahead and can hold writes back. MQTTnet reads each packet in two or three small reads
/// (fixed header, length, body) and writes each acknowledgement on its own: over a plain socket stream that is a system
/// call apiece, three or four per message, and a TCP segment per acknowledgement for the broker to take in
/// (docs/performance.md, "What was changed", system calls on the broker connection). Here reads are served from a 64-KiB buffer filled by one receive, and while a
/// <see cref="Hold"/> is open (the checkpoint acknowledging its messages) writes are gathered and sent as one when it ends.
/// </summary>
internal sealed class BrokerStream(Socket socket) : Stream, IMqttClientStreamEndPoints
{
    private const int ReadBufferBytes = 64 * 1024;
    private readonly byte[] _read = new byte[ReadBufferBytes];
    private int _readStart;
    private int _readEnd;

    // Sends go out one at a time and in order: a held batch and a write that comes after it.
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Lock _gate = new();
    private byte[] _held = new byte[4096];
    private int _heldLength;
    private int _holds;
    private bool _disposed;

    public EndPoint? LocalEndPoint => socket.LocalEndPoint;

    public EndPoint? RemoteEndPoint => socket.RemoteEndPoint;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Bytes held back so far (tests).</summary>
    internal int HeldBytes
    {
        get
        {
            lock (_gate)
            {
                return _heldLength;
            }
        }
    }

    /// <summary>
    /// Holds writes back until the returned hold is flushed, so a run of small packets leaves as one send. Holds nest;
    /// the last one to end sends what was gathered.
    /// </summary>
    public Hold HoldWrites()
    {
        lock (_gate)
        {
            _holds++;
        }

        return new Hold(this);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return ValueTask.FromResult(0);
        }

        if (_readStart < _readEnd)
        {
            return ValueTask.FromResult(TakeBuffered(buffer.Span));
        }

        return FillAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_readStart == _readEnd)
        {
            int n;
            try
            {
                n = socket.Receive(_read, SocketFlags.None);
            }
            catch (SocketException ex)
            {
                throw AsIOException(ex);
            }

            if (n == 0)
            {
                return 0;
            }

            (_readStart, _readEnd) = (0, n);
        }

        return TakeBuffered(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_holds > 0)
            {
                Append(buffer.Span);
                return ValueTask.CompletedTask;
            }
        }

        return SendAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var copy = buffer.ToArray();
        WriteAsync(copy).AsTask().GetAwaiter().GetResult();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    // Nothing is buffered outside a hold, and a hold decides itself when to send.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _disposed = true;
                _heldLength = 0;
            }

            socket.Dispose();
        }

        base.Dispose(disposing);
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _readEnd - _readStart);
        _read.AsSpan(_readStart, n).CopyTo(destination);
        _readStart += n;
        return n;
    }

    private async ValueTask<int> FillAsync(Memory<byte> destination, CancellationToken ct)
    {
        int n;
        try
        {
            // A read at least as large as the buffer goes straight to the caller.
            if (destination.Length >= ReadBufferBytes)
            {
                return await socket.ReceiveAsync(destination, SocketFlags.None, ct);
            }

            n = await socket.ReceiveAsync(_read, SocketFlags.None, ct);
        }
        catch (SocketException ex)
        {
            throw AsIOException(ex);
        }

        if (n == 0)
        {
            return 0;
        }

        (_readStart, _readEnd) = (0, n);
        return TakeBuffered(destination.Span);
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            await SendAllAsync(data, ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            while (!data.IsEmpty)
            {
                var sent = await socket.SendAsync(data, SocketFlags.None, ct);
                data = data[sent..];
            }
        }
        catch (SocketException ex)
        {
            throw AsIOException(ex);
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_heldLength + data.Length > _held.Length)
        {
            Array.Resize(ref _held, Math.Max(_held.Length * 2, _heldLength + data.Length));
        }

        data.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += data.Length;
    }

    private async ValueTask EndHoldAsync(CancellationToken ct)
    {
        // Take the send turn before the batch: a write that comes after the hold ends must not overtake it.
        try
        {
            await _sending.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                // The hub is stopping. Acknowledgements must go out in the order the messages came, so what this hold
                // gathered is dropped rather than sent after a later write: the broker redelivers those messages and
                // the accounting drops them as duplicates.
                if (--_holds == 0)
                {
                    _heldLength = 0;
                }
            }

            throw;
        }

        try
        {
            byte[] batch;
            int length;
            lock (_gate)
            {
                if (--_holds > 0 || _heldLength == 0 || _disposed)
                {
                    return;
                }

                (batch, length) = (_held, _heldLength);
                _held = new byte[Math.Clamp(batch.Length, 4096, 1 << 20)];
                _heldLength = 0;
            }

            await SendAllAsync(batch.AsMemory(0, length), ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    // As NetworkStream reports it: MQTTnet unwraps the socket error from an IOException.
    private static IOException AsIOException(SocketException ex) => new(ex.Message, ex);

    /// <summary>Writes held back since <see cref="HoldWrites"/>; <see cref="FlushAsync"/> ends the hold and sends them.</summary>
    public readonly struct Hold(BrokerStream stream)
    {
        public ValueTask FlushAsync(CancellationToken ct) => stream.EndHoldAsync(ct);
    }
}

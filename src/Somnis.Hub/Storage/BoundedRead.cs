using System.Data.Common;

namespace Somnis.Hub.Storage;

/// <summary>How long a request waits for the shared store before it answers from what it has: well under a load
/// balancer's check timeout (2 s in deploy/haproxy) and an operator's patience, well over a healthy store's answer.</summary>
internal static class BoundedRead
{
    public static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// A read of the shared store that a request waits for only so long (<c>GET /api/cluster</c>, the <c>shared-store</c>
/// readiness check without <c>Ha:Enabled</c>). A store that hangs (a black-holed network, not a refused connection) would
/// otherwise hold every such request for Npgsql's connect timeout, longer than a load balancer's check or an operator's
/// patience. One read at a time: a request that comes while one is under way waits for that one, so a hanging store holds
/// one thread, not one per request. The last value read is kept with its time, for the answers given meanwhile.
/// </summary>
internal sealed class BoundedRead<T>(Func<T> read, TimeProvider time)
    where T : class
{
    private readonly Lock _sync = new();
    private Task? _running;
    private T? _last;
    private DateTimeOffset? _lastAt;
    private string? _failure;

    /// <summary>What a request got: the last value read and when (null before the first), whether a read ended within the
    /// bound with that value (<see cref="Fresh"/>), and why the last read failed (null when it answered or is still waiting).</summary>
    public readonly record struct Result(T? Value, DateTimeOffset? AsOf, bool Fresh, string? Failure);

    /// <summary>Reads, or joins the read under way, waiting at most <paramref name="bound"/>.</summary>
    public async Task<Result> ReadAsync(TimeSpan bound, CancellationToken ct)
    {
        Task running;
        lock (_sync)
        {
            running = _running ??= StoreThread.Run(Run);
        }

        var ended = true;
        try
        {
            await running.WaitAsync(bound, time, ct);
        }
        catch (TimeoutException)
        {
            ended = false;
        }

        lock (_sync)
        {
            return new Result(_last, _lastAt, ended && _failure is null, ended ? _failure : null);
        }
    }

    private void Run()
    {
        try
        {
            var value = read();
            lock (_sync)
            {
                (_last, _lastAt, _failure) = (value, time.GetUtcNow(), null);
            }
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
        {
            // By design: a store that fails is an answer too (the last value stays, with its time); the next request reads again.
            lock (_sync)
            {
                _failure = ex.Message;
            }
        }
        finally
        {
            lock (_sync)
            {
                _running = null;
            }
        }
    }
}

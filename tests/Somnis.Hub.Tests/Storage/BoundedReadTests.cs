using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

/// <summary>A store read that a request waits for only so long: a store that hangs gets one call, not one per request, and
/// the requests meanwhile get the last value with its time.</summary>
public sealed class BoundedReadTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
    private readonly ManualResetEventSlim _answer = new(initialState: true);
    private int _calls;
    private Exception? _fails;

    private string Read()
    {
        var n = Interlocked.Increment(ref _calls);
        _answer.Wait(TimeSpan.FromSeconds(60));
        return _fails is { } ex ? throw ex : $"read {n}";
    }

    public void Dispose()
    {
        _answer.Set();
        _answer.Dispose();
    }

    [Fact]
    public async Task A_store_that_hangs_gets_one_call_and_the_requests_meanwhile_get_the_last_value_with_its_time()
    {
        var read = new BoundedRead<string>(Read, _time);
        var first = await read.ReadAsync(Bound, CancellationToken.None);
        Assert.Equal(("read 1", _time.GetUtcNow(), true, (string?)null), (first.Value, first.AsOf, first.Fresh, first.Failure));
        var readAt = _time.GetUtcNow();

        _answer.Reset();
        _time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            var waiting = read.ReadAsync(Bound, CancellationToken.None);
            _time.Advance(Bound);
            var stale = await waiting;
            Assert.Equal(("read 1", readAt, false, (string?)null), (stale.Value, stale.AsOf, stale.Fresh, stale.Failure));
        }

        Assert.Equal(2, Volatile.Read(ref _calls));

        // The stuck call answers at last: the next request gets what it read.
        _answer.Set();
        var fresh = await read.ReadAsync(Bound, CancellationToken.None);
        Assert.True(fresh.Fresh);
        Assert.StartsWith("read ", fresh.Value, StringComparison.Ordinal);
        Assert.NotEqual("read 1", fresh.Value);
    }

    [Fact]
    public async Task A_store_that_fails_is_an_answer_the_reason_with_the_last_value_kept()
    {
        var read = new BoundedRead<string>(Read, _time);
        await read.ReadAsync(Bound, CancellationToken.None);
        _fails = new NpgsqlException("Failed to connect to 127.0.0.1:5432");

        var failed = await read.ReadAsync(Bound, CancellationToken.None);

        Assert.Equal(("read 1", false, "Failed to connect to 127.0.0.1:5432"), (failed.Value, failed.Fresh, failed.Failure));
    }
}

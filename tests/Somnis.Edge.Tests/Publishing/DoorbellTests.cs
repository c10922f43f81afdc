using Microsoft.Extensions.Time.Testing;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class DoorbellTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Rings_coalesce_and_a_wait_without_a_ring_ends_at_its_timeout()
    {
        var doorbell = new Doorbell(_time);
        doorbell.Ring();
        doorbell.Ring();

        // Both rings are one: the first wait takes it at once, the second waits for its timeout on the clock.
        await doorbell.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Bound);
        var second = doorbell.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));
        await second.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_ring_ends_a_wait_at_once()
    {
        var doorbell = new Doorbell(_time);
        var waiting = doorbell.WaitAsync(TimeSpan.FromHours(1), CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        doorbell.Ring();
        await waiting.WaitAsync(Bound);
    }

    [Fact]
    public async Task Cancelling_the_caller_throws()
    {
        var doorbell = new Doorbell(_time);
        using var cts = new CancellationTokenSource();
        var waiting = doorbell.WaitAsync(TimeSpan.FromHours(1), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));
    }
}

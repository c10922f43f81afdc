using Microsoft.Extensions.Time.Testing;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

/// <summary>The replay budget: a burst of a tenth of a second's tokens, then the rate, on the injected clock.</summary>
public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_full_bucket_allows_a_tenth_of_a_second_at_once_then_refills_at_the_rate()
    {
        var bucket = new TokenBucket(100, _time);
        var burst = 0;
        while (bucket.Available())
        {
            bucket.Take();
            burst++;
        }

        Assert.Equal(10, burst);
        Assert.Equal(TimeSpan.FromMilliseconds(10), bucket.UntilNext());

        _time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(bucket.Available());
        bucket.Take();
        Assert.False(bucket.Available());
    }

    [Fact]
    public void Idle_time_does_not_save_up_more_than_one_burst()
    {
        var bucket = new TokenBucket(100, _time);
        _time.Advance(TimeSpan.FromMinutes(5));
        var taken = 0;
        while (bucket.Available())
        {
            bucket.Take();
            taken++;
        }

        Assert.Equal(10, taken);
    }

    [Fact]
    public void A_slow_rate_still_allows_one_message_and_never_waits_less_than_a_millisecond()
    {
        var bucket = new TokenBucket(1, _time);
        Assert.True(bucket.Available());
        bucket.Take();
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.UntilNext());

        var fast = new TokenBucket(100_000, _time);
        while (fast.Available())
        {
            fast.Take();
        }

        Assert.Equal(TimeSpan.FromMilliseconds(1), fast.UntilNext());
    }
}

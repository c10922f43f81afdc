namespace Somnis.Edge.Publishing;

/// <summary>
/// The replay budget of a bed (<see cref="EdgeOptions.ReplayRate"/>): <c>rate</c> tokens a second, bursts of a tenth of
/// a second, on the injected clock. Not thread-safe: the bed's drain loop is its only user.
/// </summary>
internal sealed class TokenBucket(double rate, TimeProvider time)
{
    private readonly double _capacity = Math.Max(1, rate / 10);
    private double _tokens = Math.Max(1, rate / 10);
    private long _last = time.GetTimestamp();

    public bool Available()
    {
        Refill();
        return _tokens >= 1;
    }

    public void Take() => _tokens -= 1;

    public TimeSpan UntilNext()
    {
        Refill();
        var wait = TimeSpan.FromSeconds(Math.Max(0, (1 - _tokens) / rate));
        return wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * rate));
        _last = now;
    }
}

namespace Somnis.Hub.Cluster;

/// <summary>
/// What the <see cref="LeaseKeeper"/> learnt at its rounds, for readers that must not wait on the shared store:
/// <c>/readyz</c> (a load balancer's check gives up after 2 s) reads readiness from here, not from a query of its own. The
/// keeper talks to the store on its own schedule with bounded calls anyway, so it knows when the store last answered, why
/// it last failed, and until when the lease lets this node act (its deadline, on its own monotonic clock). Without
/// <c>Ha:Enabled</c> nothing reports here: no deadline, and the store's state is unknown (<see cref="StoreAnswered"/> null).
/// </summary>
internal sealed class LeaseReport(TimeProvider time)
{
    private readonly Lock _sync = new();
    private readonly long _origin = time.GetTimestamp();
    private TimeSpan? _actsUntil;
    private TimeSpan? _answeredAt;
    private string? _failure;

    /// <summary>Whether the lease lets this node act now: before its deadline (true when no deadline is kept). The keeper
    /// makes an active isolated at the deadline; this says so at the deadline too, even when the keeper is still busy in a
    /// store call that outlasts it.</summary>
    public bool WithinDeadline
    {
        get
        {
            lock (_sync)
            {
                return _actsUntil is not { } until || Now < until;
            }
        }
    }

    /// <summary>How long ago the store last answered the keeper, or null when it never did (or nobody reports).</summary>
    public TimeSpan? StoreAnswered
    {
        get
        {
            lock (_sync)
            {
                return Now - _answeredAt;
            }
        }
    }

    /// <summary>Why the keeper's last store call failed, or null when it answered.</summary>
    public string? StoreFailure
    {
        get
        {
            lock (_sync)
            {
                return _failure;
            }
        }
    }

    private TimeSpan Now => time.GetElapsedTime(_origin);

    /// <summary>How long the node may still act (the keeper's <see cref="LeaseState.TimeLeft"/>), or null when it holds no
    /// deadline (not active).</summary>
    public void Acting(TimeSpan? left)
    {
        lock (_sync)
        {
            _actsUntil = left is { } l ? Now + l : null;
        }
    }

    /// <summary>The store answered a lease call.</summary>
    public void Answered()
    {
        lock (_sync)
        {
            (_answeredAt, _failure) = (Now, null);
        }
    }

    /// <summary>A store call failed or did not answer in time.</summary>
    public void Failed(string reason)
    {
        lock (_sync)
        {
            _failure = reason;
        }
    }
}

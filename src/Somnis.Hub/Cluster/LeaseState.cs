namespace Somnis.Hub.Cluster;

/// <summary>
/// The lease as this node knows it, and the decisions on it (pure: times are readings of the node's own monotonic clock, so
/// the rules are unit-tested without a database). The deadline is counted from when the last successful renewal was
/// <i>sent</i>: the database set the lease's expiry at some moment after that, so stopping at
/// <c>sent + LeaseTime − SafetyMargin</c> stops strictly before another node can take the lease.
/// </summary>
internal sealed class LeaseState(TimeSpan leaseTime, TimeSpan safetyMargin)
{
    public HubRole Role { get; private set; } = HubRole.Standby;

    /// <summary>The term held (active) or last held (isolated): what the next renewal asks for.</summary>
    public long? Term { get; private set; }

    /// <summary>When this node must stop acting, on its monotonic clock (meaningful while it holds a term).</summary>
    public TimeSpan Deadline { get; private set; }

    /// <summary>How long an active node may still act, or null when it is not active.</summary>
    public TimeSpan? TimeLeft(TimeSpan now) => Role == HubRole.Active ? Deadline - now : null;

    /// <summary>An acquisition sent at <paramref name="sentAt"/> returned <paramref name="term"/>.</summary>
    public void Acquired(long term, TimeSpan sentAt, TimeSpan now)
    {
        Term = term;
        Extend(sentAt, now);
    }

    /// <summary>A renewal sent at <paramref name="sentAt"/> succeeded: active until the new deadline (still isolated if the
    /// answer came so late that even that deadline has passed).</summary>
    public void Renewed(TimeSpan sentAt, TimeSpan now) => Extend(sentAt, now);

    /// <summary>The store answered that another node (or a newer term) holds the lease, or this node released it.</summary>
    public void Lost()
    {
        Role = HubRole.Standby;
        Term = null;
    }

    /// <summary>The store did not answer (in time): an active node past its deadline becomes isolated.</summary>
    /// <returns>True when the role changed.</returns>
    public bool Check(TimeSpan now)
    {
        if (Role != HubRole.Active || now < Deadline)
        {
            return false;
        }

        Role = HubRole.Isolated;
        return true;
    }

    private void Extend(TimeSpan sentAt, TimeSpan now)
    {
        Deadline = sentAt + leaseTime - safetyMargin;
        Role = now < Deadline ? HubRole.Active : HubRole.Isolated;
    }
}

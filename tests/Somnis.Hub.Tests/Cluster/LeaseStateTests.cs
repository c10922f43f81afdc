using Somnis.Hub.Cluster;

namespace Somnis.Hub.Tests.Cluster;

/// <summary>The lease decisions on the node's own clock: lease 4 s, margin 1 s, so an active acts until 3 s after it sent its
/// last successful renewal.</summary>
public sealed class LeaseStateTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);
    private readonly LeaseState _state = new(Lease, Margin);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_node_starts_as_standby_without_a_term()
    {
        Assert.Equal((HubRole.Standby, (long?)null), (_state.Role, _state.Term));
        Assert.Null(_state.TimeLeft(S(0)));
        Assert.False(_state.Check(S(100)));
    }

    [Fact]
    public void The_deadline_counts_from_when_the_renewal_was_sent_not_when_it_was_answered()
    {
        _state.Acquired(7, sentAt: S(10), now: S(10.2));
        Assert.Equal((HubRole.Active, (long?)7), (_state.Role, _state.Term));
        Assert.Equal(S(13), _state.Deadline);

        // A renewal answered 1.5 s after it was sent extends only from the sending.
        _state.Renewed(sentAt: S(11), now: S(12.5));
        Assert.Equal(S(14), _state.Deadline);
        Assert.Equal(S(1.5), _state.TimeLeft(S(12.5)));
    }

    [Fact]
    public void An_active_that_cannot_renew_becomes_isolated_at_its_deadline_strictly_before_the_lease_expires()
    {
        _state.Acquired(3, S(0), S(0));
        Assert.False(_state.Check(S(2.999)));
        Assert.Equal(HubRole.Active, _state.Role);
        Assert.True(_state.Check(S(3)));
        Assert.Equal((HubRole.Isolated, (long?)3), (_state.Role, _state.Term));
        Assert.True(_state.Deadline < S(0) + Lease);
        Assert.False(_state.Check(S(4)));
    }

    [Fact]
    public void An_answer_that_comes_after_the_deadline_leaves_the_node_isolated()
    {
        _state.Acquired(3, S(0), S(0));
        _state.Renewed(sentAt: S(1), now: S(4.5));
        Assert.Equal(HubRole.Isolated, _state.Role);

        // The next renewal of the same term, answered in time: active again.
        _state.Renewed(sentAt: S(5), now: S(5.1));
        Assert.Equal((HubRole.Active, (long?)3), (_state.Role, _state.Term));
    }

    [Fact]
    public void Another_holder_makes_the_node_a_standby_without_a_term()
    {
        _state.Acquired(3, S(0), S(0));
        _state.Check(S(3));
        _state.Lost();
        Assert.Equal((HubRole.Standby, (long?)null), (_state.Role, _state.Term));
        Assert.Null(_state.TimeLeft(S(3)));
    }
}

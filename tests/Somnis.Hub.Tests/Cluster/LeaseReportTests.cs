using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Cluster;

namespace Somnis.Hub.Tests.Cluster;

/// <summary>What readiness reads instead of the store: the lease keeper's deadline and its last contact with the store.</summary>
public sealed class LeaseReportTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void An_active_is_within_its_deadline_until_the_moment_it_passes_even_if_the_keeper_has_not_run_since()
    {
        var report = new LeaseReport(_time);
        Assert.True(report.WithinDeadline);

        report.Acting(TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(1.999));
        Assert.True(report.WithinDeadline);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(report.WithinDeadline);

        // Not active (standby, isolated, released): no deadline of its own; the role says the rest.
        report.Acting(null);
        Assert.True(report.WithinDeadline);
    }

    [Fact]
    public void The_store_is_unknown_until_the_keeper_reports_then_the_age_of_its_last_answer_and_its_last_failure()
    {
        var report = new LeaseReport(_time);
        Assert.Equal((null, null), (report.StoreAnswered, report.StoreFailure));

        report.Answered();
        _time.Advance(TimeSpan.FromSeconds(3));
        report.Failed("connection refused");
        Assert.Equal((TimeSpan.FromSeconds(3), "connection refused"), (report.StoreAnswered, report.StoreFailure));

        report.Answered();
        Assert.Equal((TimeSpan.Zero, null), (report.StoreAnswered, report.StoreFailure));
    }
}

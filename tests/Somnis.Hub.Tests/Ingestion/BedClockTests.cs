using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class BedClockTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly DeliveryOptions _options = new();

    [Fact]
    public void Skew_beyond_the_limit_is_a_problem_for_a_real_time_edge_only()
    {
        var clock = new BedClock(_options);
        clock.Report(synchronised: true, accelerated: false);
        clock.MeasureSkew(T0 + _options.MaxClockSkew, _time);
        Assert.Equal((30.0, (string?)null), (clock.SkewSeconds, clock.Summary(T0).Problem));

        clock.MeasureSkew(T0 - _options.MaxClockSkew - TimeSpan.FromSeconds(1), _time);
        Assert.Equal((-31.0, "skew"), (clock.SkewSeconds, clock.Summary(T0).Problem));

        // An accelerated simulation's clock runs ahead by design: not judged.
        clock.Report(synchronised: true, accelerated: true);
        clock.MeasureSkew(T0 + TimeSpan.FromDays(3), _time);
        Assert.Equal((null, (string?)null), (clock.SkewSeconds, clock.Summary(T0).Problem));
    }

    [Fact]
    public void An_unsynchronised_clock_is_reported_as_such_and_a_jump_outranks_it_while_held()
    {
        var clock = new BedClock(_options);
        clock.Report(synchronised: false, accelerated: false);
        Assert.Equal("unsynchronised", clock.Summary(T0).Problem);

        Assert.True(clock.CheckStep(TimeSpan.FromDays(-30), straddlesBirth: false, _time));
        var summary = clock.Summary(T0);
        Assert.Equal(("jump", (DateTimeOffset?)T0, (bool?)false), (summary.Problem, summary.JumpAt, summary.Synchronised));

        Assert.Equal("jump", clock.Summary(T0 + _options.ClockJumpHold - TimeSpan.FromSeconds(1)).Problem);
        Assert.Equal("unsynchronised", clock.Summary(T0 + _options.ClockJumpHold).Problem);
    }

    [Theory]
    [InlineData(-5, false, false)]
    [InlineData(-6, false, true)]
    [InlineData(-6, true, true)]
    [InlineData(600, false, false)]
    [InlineData(601, false, true)]
    [InlineData(601, true, false)]
    public void A_step_back_beyond_the_tolerance_or_forward_beyond_the_largest_step_without_a_birth_is_a_jump(int stepSeconds, bool straddlesBirth, bool jump)
    {
        var clock = new BedClock(_options);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(jump, clock.CheckStep(TimeSpan.FromSeconds(stepSeconds), straddlesBirth, _time));
        Assert.Equal(jump ? _time.GetUtcNow() : null, clock.JumpAt);
    }
}

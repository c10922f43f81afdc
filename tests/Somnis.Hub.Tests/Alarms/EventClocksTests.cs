using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class EventClocksTests
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly EventClocks _clocks = new();

    [Fact]
    public void A_bed_moves_its_own_clock_and_its_facility_clock_only_forward()
    {
        Assert.Null(_clocks.Of("nexus", "bed-01"));
        Assert.Null(_clocks.Of("nexus", null));
        Assert.Equal((T0.AddSeconds(20), T0.AddSeconds(20)), _clocks.Advance("nexus", "bed-01", T0.AddSeconds(20)));
        // A late message from another bed moves that bed's clock, not the facility's.
        Assert.Equal((T0, T0.AddSeconds(20)), _clocks.Advance("nexus", "bed-02", T0));
        Assert.Equal((T0.AddSeconds(20), T0.AddSeconds(20)), _clocks.Advance("nexus", "bed-01", T0.AddSeconds(10)));
        Assert.Equal(T0, _clocks.Of("nexus", "bed-02"));
        Assert.Equal(T0.AddSeconds(20), _clocks.Of("nexus", null));
        Assert.Null(_clocks.Of("elsewhere", null));
    }

    [Fact]
    public void Many_threads_advancing_one_facility_leave_it_at_the_newest_time()
    {
        Parallel.For(0, 1000, i => _clocks.Advance("nexus", $"bed-{i % 50:D2}", T0.AddSeconds(i)));
        Assert.Equal(T0.AddSeconds(999), _clocks.Of("nexus", null));
        Assert.Equal(T0.AddSeconds(999), _clocks.Of("nexus", "bed-49"));
    }
}

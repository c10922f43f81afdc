using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Tests.Sensors.Processing;

public sealed class SensorHealthTrackerTests
{
    [Fact]
    public void Health_tracker_reports_stale_only_after_the_plausible_time_and_recovers()
    {
        var h = new SensorHealthTracker("room-climate", 0, 45, 60);
        for (var t = 0; t <= 60; t++)
        {
            Assert.True(h.Observe(t, 21.5));
        }

        Assert.False(h.Observe(61, 21.5));
        Assert.Equal("stale", h.EndInterval().Reason);
        Assert.True(h.Observe(62, 21.51));
        Assert.True(h.EndInterval().Healthy);
        Assert.False(h.Observe(63, 80));
        Assert.Equal("out-of-range", h.EndInterval().Reason);
    }
}

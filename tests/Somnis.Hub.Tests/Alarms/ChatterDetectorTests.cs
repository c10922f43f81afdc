using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class ChatterDetectorTests
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly AlarmKey Bed1 = new("nexus", "bed-01", AlarmTypes.SustainedArousal);
    private readonly ChatterDetector _chatter = new();

    [Fact]
    public void It_counts_the_raises_within_the_window_ending_now()
    {
        Assert.Equal(1, _chatter.Raised(Bed1, T0, Window));
        Assert.Equal(2, _chatter.Raised(Bed1, T0.AddSeconds(30), Window));
        Assert.Equal(3, _chatter.Raised(Bed1, T0.AddSeconds(60), Window));
        // The first raise is now more than a window ago.
        Assert.Equal(3, _chatter.Raised(Bed1, T0.AddSeconds(61), Window));
        Assert.Equal(1, _chatter.Raised(Bed1, T0.AddMinutes(10), Window));
    }

    [Fact]
    public void Each_bed_and_type_counts_on_its_own()
    {
        _chatter.Raised(Bed1, T0, Window);
        _chatter.Raised(Bed1, T0.AddSeconds(1), Window);
        Assert.Equal(1, _chatter.Raised(Bed1 with { Bed = "bed-02" }, T0.AddSeconds(2), Window));
        Assert.Equal(1, _chatter.Raised(Bed1 with { Type = AlarmTypes.SensorFault }, T0.AddSeconds(2), Window));
        Assert.Equal(3, _chatter.Raised(Bed1, T0.AddSeconds(2), Window));
    }
}

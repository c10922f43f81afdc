using System.Numerics;
using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Tests.Sensors.Processing;

/// <summary>Activity counts from the accelerometer, on synthetic frames.</summary>
public sealed class ActivityCounterTests
{
    [Fact]
    public void Activity_counts_are_zero_for_a_still_frame_and_grow_with_vibration()
    {
        var still = new ActivityCounter(32);
        for (var i = 0; i < 320; i++)
        {
            still.Add(new Vector3(0, 0, 1));
        }

        Assert.Equal(0, still.TakeCounts());

        var moving = new ActivityCounter(32);
        for (var i = 0; i < 320; i++)
        {
            moving.Add(new Vector3(0, 0, 1 + (0.05f * MathF.Sin(2 * MathF.PI * 1.5f * i / 32))));
        }

        Assert.True(moving.TakeCounts() > 100);
    }
}

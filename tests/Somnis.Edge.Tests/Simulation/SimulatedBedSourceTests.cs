using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Simulation;

public sealed class SimulatedBedSourceTests
{
    [Fact]
    public void Readings_follow_the_truth_and_withhold_what_they_cannot_measure()
    {
        var model = new SleeperModel(Scenario.SensorFault, 9);
        using var source = new SimulatedBedSource(model, 9, 1);
        var interval = TimeSpan.FromSeconds(10);
        double errorSum = 0;
        int compared = 0, faultyWithheld = 0, faulty = 0;
        var sleepCounts = new List<double>();
        var wakeCounts = new List<double>();
        for (var i = 0; i < 8 * 360; i++)
        {
            var r = source.Next(interval);
            var truth = source.LastInterval;
            if (truth.Any(p => p.BcgFault))
            {
                faulty++;
                if (r.HeartRate is null && r.RespirationRate is null && r.BedPresence is null && r.Sensors.Any(s => s.Name == "bcg" && !s.Healthy && s.Reason is not null))
                {
                    faultyWithheld++;
                }

                continue;
            }

            Assert.All(r.Sensors, s => Assert.True(s.Healthy));
            if (r.HeartRate is { } hr)
            {
                errorSum += Math.Abs(hr - truth.Average(p => p.HeartRate));
                compared++;
            }

            if (truth.All(p => p.Asleep))
            {
                sleepCounts.Add(r.ActivityCount!.Value);
            }
            else if (truth.All(p => p.Stage == SleepStage.Wake))
            {
                wakeCounts.Add(r.ActivityCount!.Value);
            }
        }

        Assert.True(faulty > 0);
        Assert.Equal(faulty, faultyWithheld);
        Assert.InRange(errorSum / compared, 0, 2.0);
        Assert.True(wakeCounts.Average() > 10 * Math.Max(1, sleepCounts.Average()), $"wake {wakeCounts.Average()} vs sleep {sleepCounts.Average()}");
    }
}

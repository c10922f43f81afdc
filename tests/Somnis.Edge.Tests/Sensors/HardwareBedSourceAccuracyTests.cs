using Somnis.Edge.Simulation;
using Xunit.Abstractions;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>
/// A whole simulated night (8 h in bed, then 1 h out of bed) per scenario, through the real drivers on emulated
/// chips and the real signal processing, scored against the sleeper model's ground truth. Time is emulated: a night
/// runs in about 10 s. The figures are written to the test output and copied into docs/edge-sensing.md. One class
/// per night, so that the nights run in parallel.
/// </summary>
public static class HardwareBedSourceAccuracyTests
{
    public sealed class HealthyNight(ITestOutputHelper output)
    {
        [Fact]
        public void Healthy_night_meets_documented_bounds()
        {
            var r = EmulatedNight.Score(Scenario.Healthy, 3, output);

            Assert.True(r.HeartRateMae <= 3, $"HR MAE {r.HeartRateMae:F2} bpm > 3");
            Assert.True(r.ValidShare >= 0.80, $"valid in-bed seconds {r.ValidShare:P1} < 80 %");
            Assert.True(r.RespirationMae <= 1.5, $"RR MAE {r.RespirationMae:F2} /min > 1.5");
            Assert.True(r.PresenceAccuracy >= 0.97, $"presence accuracy {r.PresenceAccuracy:P1} < 97 %");
            Assert.True(r.MovementSensitivity >= 0.85 && r.MovementSpecificity >= 0.90, $"movement {r.MovementSensitivity:P1}/{r.MovementSpecificity:P1}");
            Assert.InRange(r.CountsRatio, 0.8, 1.25);
        }
    }

    public sealed class ArchitectDeprivationNight(ITestOutputHelper output)
    {
        [Fact]
        public void Architect_deprivation_night_keeps_heart_rate_accurate_on_valid_seconds()
        {
            var stimulated = 0;
            var r = EmulatedNight.Score(Scenario.ArchitectDeprivation, 5, output, s => stimulated += s.Reading.ArchitectStimulating ? 1 : 0);

            // A restless night has fewer valid seconds, but what is reported must still be right.
            Assert.True(r.HeartRateMae <= 3, $"HR MAE {r.HeartRateMae:F2} bpm > 3");
            Assert.True(r.ValidShare >= 0.5, $"valid in-bed seconds {r.ValidShare:P1} < 50 %");
            Assert.True(r.RespirationMae <= 2, $"RR MAE {r.RespirationMae:F2} /min > 2");
            Assert.True(r.PresenceAccuracy >= 0.97, $"presence accuracy {r.PresenceAccuracy:P1}");
            Assert.True(stimulated > 300, $"the stimulation line was seen in only {stimulated} intervals");
        }
    }

    public sealed class SensorFaultNight(ITestOutputHelper output)
    {
        [Fact]
        public void Sensor_fault_night_withholds_values_while_the_film_is_disconnected()
        {
            int faultIntervals = 0, reportedInFault = 0, flagged = 0, recoveredHealthy = 0;
            var r = EmulatedNight.Score(Scenario.SensorFault, 7, output, s =>
            {
                var bcg = s.Reading.Sensors.Single(h => h.Name == "bcg");
                if (s.Truth.All(p => p.BcgFault))
                {
                    faultIntervals++;
                    reportedInFault += s.Reading.HeartRate is not null || s.Reading.BedPresence is not null ? 1 : 0;
                    flagged += !bcg.Healthy && bcg.Reason == "flat-line" ? 1 : 0;
                }
                else if (s.Truth.All(p => !p.BcgFault) && bcg.Healthy)
                {
                    recoveredHealthy++;
                }
            });

            output.WriteLine($"fault intervals {faultIntervals}, flagged flat-line {flagged}, values reported in fault {reportedInFault}");
            Assert.True(faultIntervals > 300, $"only {faultIntervals} fault intervals");
            Assert.Equal(faultIntervals, flagged);
            Assert.Equal(0, reportedInFault);
            Assert.True(recoveredHealthy > 2000, $"healthy intervals outside faults: {recoveredHealthy}");
            Assert.True(r.HeartRateMae <= 3, $"HR MAE {r.HeartRateMae:F2} bpm > 3");
            Assert.True(r.ValidShare >= 0.80, $"valid in-bed seconds {r.ValidShare:P1} < 80 %");
        }
    }

    public sealed class Mcp3008FrontEnd(ITestOutputHelper output)
    {
        [Fact]
        public void Mcp3008_front_end_meets_the_heart_rate_bound_over_three_hours()
        {
            using var source = EmulatedNight.Create(Scenario.Healthy, 13, out var bed, EmulatedNight.StandardSensors("mcp3008"));
            var report = new AccuracyReport();
            for (var i = 0; i < 3 * 360; i++)
            {
                report.Add(source.Next(TimeSpan.FromSeconds(10)), bed.TakeSeconds());
            }

            output.WriteLine($"mcp3008 healthy seed 13, 3 h: {report}");
            Assert.True(report.HeartRateMae <= 3, $"HR MAE {report.HeartRateMae:F2} bpm > 3");
            Assert.True(report.ValidShare >= 0.80, $"valid in-bed seconds {report.ValidShare:P1} < 80 %");
        }
    }
}

using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Simulation;

public sealed class SleeperModelTests
{
    private static List<Physiology> Night(Scenario scenario, int seed, SimulationTimeline? timeline = null, bool incident = false,
        double intensity = 1, double? baseHeartRate = null)
    {
        var model = new SleeperModel(scenario, seed, timeline, incident, intensity, baseHeartRate);
        var seconds = new List<Physiology>(9 * 3600);
        for (var i = 0; i < 9.5 * 3600; i++)
        {
            seconds.Add(model.Step());
        }

        return seconds;
    }

    [Fact]
    public void The_same_seed_gives_the_same_night()
    {
        var a = Night(Scenario.Healthy, 42);
        var b = Night(Scenario.Healthy, 42);
        var c = Night(Scenario.Healthy, 43);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_healthy_night_has_plausible_sleep_architecture_and_vitals(int seed)
    {
        var night = Night(Scenario.Healthy, seed);
        var inBed = night.Where(p => p.InBed).ToList();
        var asleep = inBed.Count(p => p.Asleep);
        Assert.InRange(inBed.Count / 3600.0, 8.4, 8.6);
        Assert.InRange((double)asleep / inBed.Count, 0.85, 0.985);

        // Deep sleep mostly in the first half, REM mostly in the second.
        var n3 = inBed.Where(p => p.Stage == SleepStage.N3).ToList();
        Assert.InRange(n3.Count / 60.0, 40, 100);
        Assert.True(n3.Count(p => p.Elapsed < TimeSpan.FromHours(4)) > n3.Count * 0.8);
        var rem = inBed.Where(p => p.Stage == SleepStage.Rem).ToList();
        Assert.InRange(rem.Count / (double)asleep, 0.12, 0.30);

        // Heart rate dips in sleep by about 10–20 % (domain.md §3); respiration 12–20 /min.
        var sleepHr = inBed.Where(p => p.Stage is SleepStage.N2 or SleepStage.N3).Average(p => p.HeartRate);
        var wakeHr = inBed.Where(p => p.Stage == SleepStage.Wake).Average(p => p.HeartRate);
        Assert.InRange(sleepHr, 45, 70);
        Assert.InRange((wakeHr - sleepHr) / wakeHr, 0.08, 0.30);
        Assert.InRange(inBed.Average(p => p.RespirationRate), 12, 20);

        // The Architect runs briefly in REM and the sleeper sleeps on.
        var stimulated = inBed.Where(p => p.ArchitectStimulating).ToList();
        Assert.NotEmpty(stimulated);
        Assert.True(stimulated.Count(p => p.Asleep) > stimulated.Count * 0.9);

        // Skin warms after sleep onset; out of bed after the night.
        Assert.True(inBed.Where(p => p.Elapsed > TimeSpan.FromHours(2)).Average(p => p.SkinTemperature) > inBed.Take(300).Average(p => p.SkinTemperature) + 1);
        Assert.Contains(night, p => !p.InBed);
        Assert.DoesNotContain(night, p => p.BcgFault);
    }

    [Fact]
    public void Architect_deprivation_keeps_the_sleeper_from_sleep_while_it_stimulates()
    {
        var healthy = Night(Scenario.Healthy, 5).Where(p => p.InBed).ToList();
        var deprived = Night(Scenario.ArchitectDeprivation, 5).Where(p => p.InBed).ToList();
        var stimulated = deprived.Where(p => p.ArchitectStimulating).ToList();

        Assert.InRange(stimulated.Count / 3600.0, 4.5, 6);
        Assert.True(stimulated.Count(p => p.Asleep) < stimulated.Count * 0.5);
        Assert.DoesNotContain(stimulated, p => p.Stage == SleepStage.N3);
        Assert.True(deprived.Count(p => p.Asleep) < healthy.Count(p => p.Asleep) * 0.65, $"deprived {deprived.Count(p => p.Asleep) / 3600.0:F2} h vs healthy {healthy.Count(p => p.Asleep) / 3600.0:F2} h, stimulated asleep {stimulated.Count(p => p.Asleep) / 3600.0:F2} of {stimulated.Count / 3600.0:F2} h");
        Assert.True(stimulated.Average(p => p.HeartRate) > healthy.Where(p => p.Asleep).Average(p => p.HeartRate) + 10);
        Assert.True(stimulated.Count(p => p.Arousal) > healthy.Count(p => p.Arousal) * 2);
    }

    [Fact]
    public void A_gentler_Architect_stimulates_for_shorter_bouts_and_takes_less_sleep()
    {
        var full = Night(Scenario.ArchitectDeprivation, 5).Where(p => p.InBed).ToList();
        var gentle = Night(Scenario.ArchitectDeprivation, 5, intensity: 0.4).Where(p => p.InBed).ToList();

        // Bouts of 10 instead of 25 minutes, every 35 minutes all the same.
        Assert.InRange(gentle.Count(p => p.ArchitectStimulating) / (double)full.Count(p => p.ArchitectStimulating), 0.35, 0.45);
        Assert.True(gentle.Count(p => p.Asleep) > full.Count(p => p.Asleep) * 1.3);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SleeperModel(Scenario.ArchitectDeprivation, 5, architectIntensity: 0));
    }

    [Fact]
    public void A_natural_night_has_no_Architect_and_a_given_heart_rate_keeps_the_night_of_the_seed()
    {
        var natural = Night(Scenario.Natural, 7);
        Assert.DoesNotContain(natural, p => p.ArchitectStimulating);
        Assert.DoesNotContain(natural, p => p.BcgFault);

        // The same person (heart rate) on another night of the same seed: the same stages, the heart rate around the one given.
        var same = Night(Scenario.Natural, 7, baseHeartRate: 58);
        Assert.Equal(natural.Select(p => p.Stage), same.Select(p => p.Stage));
        Assert.InRange(same.Where(p => p.Stage == SleepStage.N2 && !p.Arousal).Average(p => p.HeartRate), 56, 60);
    }

    [Fact]
    public void Sensor_fault_nights_have_fault_windows()
    {
        var night = Night(Scenario.SensorFault, 9);
        var faulty = night.Count(p => p.BcgFault);
        Assert.InRange(faulty / 60.0, 60, 110);
    }

    [Fact]
    public void A_dream_exchange_incident_wakes_the_group_at_the_same_time()
    {
        var timeline = SimulationTimeline.Default with { IncidentAt = TimeSpan.FromHours(3) };
        var inGroup = Night(Scenario.Healthy, 11, timeline, incident: true);
        var outside = Night(Scenario.Healthy, 11, timeline, incident: false);
        var window = inGroup.Where(p => p.Elapsed >= TimeSpan.FromHours(3) && p.Elapsed < TimeSpan.FromHours(3) + TimeSpan.FromMinutes(4)).ToList();
        Assert.All(window, p => Assert.True(p.Arousal && p.Stage == SleepStage.Wake));
        Assert.Contains(outside.Where(p => p.Elapsed >= TimeSpan.FromHours(3) && p.Elapsed < TimeSpan.FromHours(3) + TimeSpan.FromMinutes(4)), p => p.Asleep);
    }
}

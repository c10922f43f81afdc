using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Simulation;

public sealed class ScenarioTests
{
    [Fact]
    public void One_name_applies_to_every_bed()
    {
        Assert.True(Scenarios.TryAssign("sensor-fault", 3, out var beds, out _));
        Assert.All(beds, b => Assert.Equal(Scenario.SensorFault, b));
    }

    [Fact]
    public void A_list_is_assigned_in_turn()
    {
        Assert.True(Scenarios.TryAssign("healthy, architect-deprivation", 5, out var beds, out _));
        Assert.Equal([Scenario.Healthy, Scenario.ArchitectDeprivation, Scenario.Healthy, Scenario.ArchitectDeprivation, Scenario.Healthy], beds);
    }

    [Fact]
    public void The_mix_holds_every_scenario_and_mostly_healthy_beds()
    {
        Assert.True(Scenarios.TryAssign("mix", 24, out var beds, out _));
        Assert.Equal(15, beds.Count(b => b == Scenario.Healthy));
        Assert.Equal(6, beds.Count(b => b == Scenario.ArchitectDeprivation));
        Assert.Equal(3, beds.Count(b => b == Scenario.SensorFault));
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_allowed_list()
    {
        Assert.False(Scenarios.TryAssign("healthy,bad-dreams", 2, out _, out var error));
        Assert.Equal("unknown scenario 'bad-dreams' (allowed: healthy, architect-deprivation, sensor-fault, natural, mix)", error);
    }
}

using Microsoft.Extensions.Options;
using Somnis.Edge.Sensors;
using Somnis.Edge.Tests.Sensors;

namespace Somnis.Edge.Tests;

public sealed class BedSourceFactoryTests
{
    [Fact]
    public void Factory_builds_a_hardware_source_on_emulated_chips()
    {
        var o = SensorsOptionsTests.Bind(("Edge:Bed", "bed-01"));
        using var source = new BedSourceFactory(Options.Create(o)).Create("bed-01", 0, 1);
        Assert.IsType<HardwareBedSource>(source);
        Assert.Equal("hardware", source.Mode);
        // Emulated chips say so in the status (the simulation block); real ones never have it.
        Assert.NotNull(source.Simulation);
        var r = source.Next(TimeSpan.FromSeconds(10));
        Assert.Contains(r.Sensors, s => s.Name == "bcg" && s.Healthy);
    }
}

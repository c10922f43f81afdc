using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Mqtt;
using Somnis.Edge.Sensors;

namespace Somnis.Edge.Tests;

/// <summary>The edge's command line as the host reads it.</summary>
public sealed class EdgeHostTests
{
    private static IHost Build(params string[] args)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddCommandLine(args, EdgeHost.SwitchMappings.ToDictionary());
        builder.AddSomnisEdge();
        return builder.Build();
    }

    [Theory]
    [InlineData("3.1.1", MqttVersion.V311)]
    [InlineData("5", MqttVersion.V5)]
    [InlineData("V311", MqttVersion.V311)]
    public void The_mqtt_version_is_read_as_it_is_written(string text, MqttVersion expected)
    {
        using var host = Build("--mqtt-version", text, "--broker", "mqtt://n1:1883,mqtt://n2:1883");
        var options = host.Services.GetRequiredService<IOptions<EdgeOptions>>().Value;
        Assert.Equal((expected, "mqtt://n1:1883,mqtt://n2:1883"), (options.MqttVersion, options.Broker));
    }

    [Theory]
    [InlineData("4")]
    [InlineData("3.1")]
    [InlineData("five")]
    public void Any_other_mqtt_version_stops_the_start_naming_the_setting(string text)
    {
        using var host = Build("--mqtt-version", text);
        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("--mqtt-version (Edge:MqttVersion) must be 5 or 3.1.1", failure.Failures);
    }

    [Fact]
    public void Emulate_chips_flag_expands_to_the_simulation_level()
    {
        string[] args = [];
        var code = EdgeHost.Command([], (c, _) => Task.FromResult((args = c).Length)).Parse(["--mode", "hardware", "--emulate-chips", "--bed", "bed-01"]).Invoke();
        Assert.Equal(args.Length, code);
        var config = new ConfigurationBuilder().AddCommandLine(args).Build();
        Assert.Equal("chips", config["Edge:Simulation:Level"]);
        Assert.Equal("bed-01", config["Edge:Bed"]);
    }

    [Theory]
    [InlineData("hardware", "model", EdgeMode.Hardware, SimulationLevel.Model)]
    [InlineData("HARDWARE", "Chips", EdgeMode.Hardware, SimulationLevel.Chips)]
    [InlineData("Simulated", "CHIPS", EdgeMode.Simulated, SimulationLevel.Chips)]
    public void Modes_are_read_whatever_their_case(string mode, string level, EdgeMode expectedMode, SimulationLevel expectedLevel)
    {
        using var host = Build("--mode", mode, "--simulation-level", level);

        // The host's binding alone: hardware mode without sensors would not validate, which is not what this is about.
        var options = new EdgeOptions();
        foreach (var configure in host.Services.GetServices<IConfigureOptions<EdgeOptions>>())
        {
            configure.Configure(options);
        }

        Assert.Equal((expectedMode, expectedLevel), (options.Mode, options.Simulation.Level));
    }

    [Theory]
    [InlineData("--mode", "both", "--mode (Edge:Mode) must be 'hardware' or 'simulated'")]
    [InlineData("--mode", "7", "--mode (Edge:Mode) must be 'hardware' or 'simulated'")]
    [InlineData("--simulation-level", "atoms", "--simulation-level (Edge:Simulation:Level) must be 'model' or 'chips'")]
    public void Any_other_mode_stops_the_start_listing_the_allowed_values(string flag, string text, string expected)
    {
        using var host = Build(flag, text);
        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(expected, failure.Failures);
    }
}

using Microsoft.Extensions.Configuration;
using Somnis.Edge.Cli;

namespace Somnis.Hub.Tests;

/// <summary><c>serve</c>, <c>demo</c> and the hub without a command: every flag of the table and any configuration key
/// reach configuration; demo's flags only in demo; help runs nothing.</summary>
public sealed class ServeCommandTests
{
    private static async Task<(int Code, IConfiguration? Configuration, bool Demo, string Error)> Run(params string[] args)
    {
        string[]? configuration = null;
        var demo = false;
        var (flags, keys) = Switches.SplitKeys(args);
        ServeCommand.Run run = (c, d, _) =>
        {
            (configuration, demo) = (c, d);
            return Task.FromResult(0);
        };
        var root = ServeCommand.Root(keys, run);
        root.Subcommands.Add(ServeCommand.Serve(keys, run));
        root.Subcommands.Add(ServeCommand.Demo(keys, run));
        using var error = new StringWriter();
        var code = await Switches.InvokeAsync("somnis-hub", root, flags, keys, TextWriter.Null, error);
        return (code, configuration is null ? null : new ConfigurationBuilder().AddCommandLine(configuration).Build(), demo, error.ToString());
    }

    [Theory]
    [InlineData]
    [InlineData("serve")]
    public async Task Serve_maps_every_hub_flag_to_its_key(params string[] command)
    {
        var flags = HubComposition.SwitchMappings.Where(m => !m.Value.StartsWith("Edge:", StringComparison.Ordinal) && !m.Value.StartsWith("Demo:", StringComparison.Ordinal)).ToList();
        var (code, config, demo, error) = await Run([.. command, .. flags.SelectMany(f => new[] { f.Key, $"value of {f.Key}" })]);
        Assert.Equal((0, false, ""), (code, demo, error));
        foreach (var (flag, key) in flags)
        {
            Assert.Equal($"value of {flag}", config![key]);
        }
    }

    [Fact]
    public async Task Demo_takes_every_hub_flag_its_own_flags_and_configuration_keys()
    {
        var (code, config, demo, error) = await Run([
            "demo", .. HubComposition.SwitchMappings.SelectMany(m => new[] { m.Key, $"value of {m.Key}" }),
            "--Alarms:Types:edge-offline:OnDelay", "00:00:05", "--Broker:EmbeddedPort=1884"]);
        Assert.Equal((0, true, ""), (code, demo, error));
        foreach (var (flag, key) in HubComposition.SwitchMappings)
        {
            Assert.Equal($"value of {flag}", config![key]);
        }

        Assert.Equal("00:00:05", config!["Alarms:Types:edge-offline:OnDelay"]);
        Assert.Equal("1884", config["Broker:EmbeddedPort"]);
    }

    [Theory]
    [InlineData("--beds")]
    [InlineData("--history-nights")]
    public async Task Demo_flags_are_not_serve_flags(string flag)
    {
        var (code, config, _, error) = await Run("serve", flag, "3");
        Assert.Equal(2, code);
        Assert.Null(config);
        Assert.Contains($"'{flag}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_runs_nothing()
    {
        var (code, config, _, _) = await Run("demo", "--beds", "3", "--Edge:Speed", "5", "--help");
        Assert.Equal(0, code);
        Assert.Null(config);
    }
}

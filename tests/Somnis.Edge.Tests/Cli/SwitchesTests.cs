using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Somnis.Edge.Cli;

namespace Somnis.Edge.Tests.Cli;

/// <summary>The edge's command line through the shared parser: flags and configuration keys end up as configuration,
/// help and bad input run nothing.</summary>
public sealed class SwitchesTests
{
    private static async Task<(int Code, string[]? Configuration, string Output, string Error)> RunEdge(params string[] args)
    {
        string[]? configuration = null;
        var (flags, keys) = Switches.SplitKeys(args);
        var root = EdgeHost.Command(keys, (c, _) =>
        {
            configuration = c;
            return Task.FromResult(Switches.Done);
        });
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Switches.InvokeAsync("somnis-edge", root, flags, keys, output, error);
        return (code, configuration, output.ToString(), error.ToString());
    }

    private static IConfiguration Configuration(string[] args) => new ConfigurationBuilder().AddCommandLine(args).Build();

    [Fact]
    public async Task Flags_and_section_keys_become_configuration()
    {
        var (code, configuration, _, error) = await RunEdge("--broker", "mqtt://hub:1883", "--beds", "3", "--Edge:KeepAlive", "00:00:05",
            "--Edge:StatusInterval=00:00:20", "--broker-password", "@secret=1");
        Assert.Equal((0, ""), (code, error));
        var config = Configuration(configuration!);
        Assert.Equal("mqtt://hub:1883", config["Edge:Broker"]);
        Assert.Equal("3", config["Edge:Beds"]);
        Assert.Equal("00:00:05", config["Edge:KeepAlive"]);
        Assert.Equal("00:00:20", config["Edge:StatusInterval"]);
        // Not a response file, and '=' inside a value stays in the value.
        Assert.Equal("@secret=1", config["Edge:BrokerPassword"]);
    }

    [Fact]
    public async Task A_section_key_wins_over_the_flag_for_the_same_setting()
    {
        var (_, configuration, _, _) = await RunEdge("--Edge:Speed", "5", "--speed", "60");
        Assert.Equal("5", Configuration(configuration!)["Edge:Speed"]);
    }

    [Theory]
    [InlineData("--beds", "3", "--help")]
    [InlineData("-h")]
    [InlineData("--version")]
    public async Task Help_and_version_run_nothing(params string[] args)
    {
        var (code, configuration, output, _) = await RunEdge(args);
        Assert.Equal(0, code);
        Assert.Null(configuration);
        Assert.NotEqual("", output.Trim());
    }

    [Fact]
    public async Task Help_lists_every_flag_with_its_setting()
    {
        var (_, _, output, _) = await RunEdge("--help");
        foreach (var (flag, key) in EdgeHost.SwitchMappings)
        {
            Assert.Contains(flag, output, StringComparison.Ordinal);
            Assert.Contains($"({key})", output, StringComparison.Ordinal);
        }

        Assert.Contains("--emulate-chips", output, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 stopped, 2 bad command line or configuration", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus", "'--bogus'")]
    [InlineData("--speeed", "'--speeed'")]
    [InlineData("stray", "'stray'")]
    public async Task Unknown_options_are_named_and_exit_2(string arg, string named)
    {
        var (code, configuration, _, error) = await RunEdge("--beds", "3", arg);
        Assert.Equal(Switches.Usage, code);
        Assert.Null(configuration);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Contains("Run 'somnis-edge --help' for usage.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flag_without_its_value_is_refused()
    {
        var (code, configuration, _, error) = await RunEdge("--beds");
        Assert.Equal((2, null), (code, configuration));
        Assert.Contains("--beds", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_without_configuration_refuses_section_keys()
    {
        var root = Switches.ReadsConfiguration(new RootCommand { new Command("tool") });
        root.Subcommands[0].SetAction(_ => 0);
        var (flags, keys) = Switches.SplitKeys(["tool", "--Edge:Speed", "3"]);
        using var error = new StringWriter();
        var code = await Switches.InvokeAsync("x", root, flags, keys, TextWriter.Null, error);
        Assert.Equal(2, code);
        Assert.Contains("'tool' takes no configuration keys (got --Edge:Speed)", error.ToString(), StringComparison.Ordinal);
    }
}

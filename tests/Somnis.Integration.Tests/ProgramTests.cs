using System.Diagnostics;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests;

/// <summary>
/// The command lines of the built hub and edge, run as a user runs them, from an empty working directory: help on the
/// program and on every command prints usage and starts nothing (no <c>./data</c>), bad input is named and exits with 2.
/// </summary>
[Collection("processes")]
public sealed class ProgramTests : IDisposable
{
    private readonly string _cwd = Directory.CreateTempSubdirectory("somnis-cli-").FullName;

    public void Dispose() => Directory.Delete(_cwd, recursive: true);

    private Task<(int Code, string Output, string Error)> Run(string dll, params string[] args) => RunWithInput(dll, "", args);

    /// <summary>Runs a program with <paramref name="stdin"/> as its standard input (then closed).</summary>
    private async Task<(int Code, string Output, string Error)> RunWithInput(string dll, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = _cwd };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} still running after 60 s (it should only print and exit)");
        }

        return (process.ExitCode, await output, await error);
    }

    public static TheoryData<string[], string> HubHelp => new()
    {
        { ["--help"], "Somnis.Hub [command] [options]" },
        { ["serve", "--help"], "Somnis.Hub serve [options]" },
        { ["demo", "--help"], "Somnis.Hub demo [options]" },
        { ["analyze", "--help"], "Somnis.Hub analyze [options]" },
        { ["validate", "--help"], "Somnis.Hub validate [options]" },
        { ["hash-password", "--help"], "Somnis.Hub hash-password [options]" },
        { ["users", "--help"], "Somnis.Hub users [command] [options]" },
        { ["users", "add", "--help"], "Somnis.Hub users add <NAME> [options]" },
        { ["users", "list", "--help"], "Somnis.Hub users list [options]" },
        { ["demo", "--beds", "3", "-h"], "Somnis.Hub demo [options]" },
    };

    [Theory]
    [MemberData(nameof(HubHelp))]
    public async Task Hub_help_prints_usage_and_starts_nothing(string[] args, string usage)
    {
        var (code, output, error) = await Run(RepoPaths.HubDll, args);
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Contains(usage, output, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cwd));
    }

    [Fact]
    public async Task Hub_help_lists_commands_and_demo_help_lists_the_simulation_flags()
    {
        var (_, root, _) = await Run(RepoPaths.HubDll, "--help");
        foreach (var command in new[] { "serve", "demo", "analyze", "validate", "hash-password", "users" })
        {
            Assert.Contains($"  {command} ", root, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--beds", root, StringComparison.Ordinal);
        var (_, demo, _) = await Run(RepoPaths.HubDll, "demo", "--help");
        foreach (var flag in new[] { "--urls", "--broker", "--data", "--beds", "--speed", "--seed", "--scenario", "--facility", "--incident-at", "--history-nights" })
        {
            Assert.Contains(flag + " <", demo, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (code, output, _) = await Run(RepoPaths.HubDll, "--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
        (code, output, _) = await Run(RepoPaths.EdgeDll, "--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "Unrecognized command or argument '--bogus'", "somnis-hub --help")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'", "somnis-hub --help")]
    [InlineData(new[] { "serve", "--beds", "3" }, "Unrecognized command or argument '--beds'", "somnis-hub serve --help")]
    [InlineData(new[] { "analyze", "--input" }, "'--input'", "somnis-hub analyze --help")]
    [InlineData(new[] { "analyze", "--input", "a.csv", "--output", "b.csv", "--Storage:X", "1" }, "'analyze' takes no configuration keys", "somnis-hub analyze --help")]
    [InlineData(new[] { "validate" }, "Option '--data' is required", "somnis-hub validate --help")]
    public async Task Hub_bad_command_lines_are_named_and_exit_2(string[] args, string message, string hint)
    {
        var (code, output, error) = await Run(RepoPaths.HubDll, args);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains($"Run '{hint}' for usage.", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cwd));
    }

    [Theory]
    [InlineData("many", "somnis-hub: invalid setting: Failed to convert configuration value 'many' at 'Demo:HistoryNights'")]
    [InlineData("-1", "somnis-hub: invalid setting: --history-nights (Demo:HistoryNights) must be between 0 and 365 nights (got -1)")]
    public async Task Demo_bad_history_length_is_named_and_exits_2(string value, string message)
    {
        var (code, _, error) = await Run(RepoPaths.HubDll, "demo", "--history-nights", value, "--urls", "http://127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_add_reads_the_password_on_standard_input_and_refuses_a_short_one()
    {
        var (code, output, error) = await RunWithInput(RepoPaths.HubDll, "boss-password-1\n", "users", "add", "boss", "--role", "supervisor", "--data", "hub-data");
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Equal("added boss (supervisor)", output.Trim());
        Assert.True(File.Exists(Path.Combine(_cwd, "hub-data", "somnis.db")));

        (code, _, error) = await RunWithInput(RepoPaths.HubDll, "short\n", "users", "add", "tina", "--role", "technician", "--data", "hub-data");
        Assert.Equal(2, code);
        Assert.Contains("the password is too short: at least 12 characters", error, StringComparison.Ordinal);
        (code, output, _) = await Run(RepoPaths.HubDll, "users", "list", "--data", "hub-data");
        Assert.Equal(0, code);
        Assert.Matches(@"\nboss\s+supervisor\s", output);
        Assert.DoesNotContain("tina", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_help_prints_usage_and_starts_nothing()
    {
        var (code, output, error) = await Run(RepoPaths.EdgeDll, "--beds", "3", "--speed", "60", "--help");
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Contains("Somnis.Edge [options]", output, StringComparison.Ordinal);
        Assert.Contains("--emulate-chips", output, StringComparison.Ordinal);
        Assert.DoesNotContain("bed-01", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cwd));
    }

    [Fact]
    public async Task Edge_unknown_option_is_named_and_exits_2()
    {
        var (code, _, error) = await Run(RepoPaths.EdgeDll, "--beds", "3", "--sped", "60");
        Assert.Equal(2, code);
        Assert.Contains("Unrecognized command or argument '--sped'", error, StringComparison.Ordinal);
    }
}

using System.CommandLine;
using System.Text.Json;

namespace Somnis.Hub.Detection;

/// <summary>
/// <c>validate --data DIR [--json FILE]</c>: scores the Walch 2019 nights in DIR against their PSG labels by nested
/// leave-one-subject-out cross-validation, prints a line per subject as each fold finishes, then the pooled and
/// per-fold figures and the night-level errors next to the published baselines. <c>--json</c> also writes the folds'
/// numbers (reliability curves, night metrics) for the figures in docs/detection.md. Exit codes: 0 done, 2 bad
/// arguments or no data.
/// </summary>
internal static class ValidateCommand
{
    private const string Usage = "usage: validate --data DIR [--json FILE]   (DIR holds <id>_counts.txt, <id>_hr.txt, <id>_psg.txt)";

    /// <param name="args">The arguments after <c>validate</c>.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? data = null, json = null;
        for (var i = 0; i + 1 < args.Length && args.Length % 2 == 0; i += 2)
        {
            switch (args[i])
            {
                case "--data": data = args[i + 1]; break;
                case "--json": json = args[i + 1]; break;
                default: data = null; i = args.Length; break;
            }
        }

        if (data is null)
        {
            stderr.WriteLine(Usage);
            return AnalyzeCommand.BadInput;
        }

        if (!Directory.Exists(data))
        {
            stderr.WriteLine($"validate: directory '{data}' not found");
            return AnalyzeCommand.BadInput;
        }

        if (json is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(json))))
        {
            stderr.WriteLine($"validate: --json: directory of '{json}' does not exist");
            return AnalyzeCommand.BadInput;
        }

        var scored = Validation.ScoreAll(WalchNight.LoadAll(data));
        if (scored.Count < 3)
        {
            stderr.WriteLine($"validate: need at least three nights in '{data}' (nested cross-validation), found {scored.Count}");
            return AnalyzeCommand.BadInput;
        }

        stdout.WriteLine($"Nested leave-one-subject-out cross-validation ({scored.Count} nights): each night scored by a model fitted and tuned on the others");
        stdout.WriteLine(ValidationReport.Header);
        var results = Validation.CrossValidate(scored, r =>
        {
            stdout.WriteLine(ValidationReport.Row(r));
            stdout.Flush();
        });
        stdout.Write(ValidationReport.Summary(results));
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(ValidationReport.Data(results), DetectionJsonContext.Default.ValidationData));
        }

        return AnalyzeCommand.Ok;
    }

    /// <summary>The command for the hub's command line. Its output goes straight to the console as it is written.</summary>
    public static Command Create()
    {
        Option<string> data = new("--data") { Required = true, HelpName = "DIR", Description = "directory of the Walch 2019 nights: <id>_counts.txt, <id>_hr.txt, <id>_psg.txt" };
        Option<string> json = new("--json") { HelpName = "FILE", Description = "also write the folds' numbers (reliability curves, night metrics) as JSON, for docs/figures" };
        var command = new Command("validate", "Score the Walch 2019 nights against their polysomnography labels and print per-subject and pooled " +
            "figures next to the published baselines, by nested leave-one-subject-out cross-validation.\nExit codes: 0 done, 2 bad arguments or no data.") { data, json };
        command.SetAction(result => Run(
            result.GetValue(json) is { } file ? ["--data", result.GetValue(data)!, "--json", file] : ["--data", result.GetValue(data)!],
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }
}

using System.CommandLine;

namespace Somnis.Hub.Detection;

/// <summary>
/// <c>validate --data DIR</c>: scores the Walch 2019 nights in DIR against their PSG labels and prints the
/// per-subject table and pooled figures, leave-one-subject-out and for the shipped model, next to the published
/// baselines. Exit codes: 0 done, 2 bad arguments or no data.
/// </summary>
internal static class ValidateCommand
{
    /// <param name="args">The arguments after <c>validate</c>.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length != 2 || args[0] != "--data")
        {
            stderr.WriteLine("usage: validate --data DIR   (DIR holds <id>_counts.txt, <id>_hr.txt, <id>_psg.txt)");
            return AnalyzeCommand.BadInput;
        }

        if (!Directory.Exists(args[1]))
        {
            stderr.WriteLine($"validate: directory '{args[1]}' not found");
            return AnalyzeCommand.BadInput;
        }

        var scored = Validation.ScoreAll(WalchNight.LoadAll(args[1]));
        if (scored.Count < 2)
        {
            stderr.WriteLine($"validate: need at least two nights in '{args[1]}', found {scored.Count}");
            return AnalyzeCommand.BadInput;
        }

        stdout.WriteLine(Validation.Report($"Leave-one-subject-out cross-validation ({scored.Count} nights)",
            Validation.CrossValidate(scored)));
        stdout.WriteLine(Validation.Report("Shipped model (fit on the 16 development nights; in sample for those)",
            scored.Select(s => Validation.Evaluate(s.Night, s.Epochs, SleepModel.Default)).ToList()));
        return AnalyzeCommand.Ok;
    }

    /// <summary>The command for the hub's command line. Its output goes straight to the console as it is written.</summary>
    public static Command Create()
    {
        Option<string> data = new("--data") { Required = true, HelpName = "DIR", Description = "directory of the Walch 2019 nights: <id>_counts.txt, <id>_hr.txt, <id>_psg.txt" };
        var command = new Command("validate", "Score the Walch 2019 nights against their polysomnography labels and print per-subject and pooled " +
            "figures next to the published baselines.\nExit codes: 0 done, 2 bad arguments or no data.") { data };
        command.SetAction(result => Run(["--data", result.GetValue(data)!], result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return command;
    }
}

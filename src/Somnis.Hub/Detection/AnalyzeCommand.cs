using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Somnis.Hub.Detection;

/// <summary>
/// <c>analyze --input night.csv --output epochs.csv [--lights-off SECONDS] [--need HOURS]</c>: scores a recorded
/// night offline with the live scorer (<see cref="EpochScorer"/>), writes one row per 30-s epoch and prints the night
/// summary as JSON, with the assessments that held (<see cref="AnalyzeAssessments"/>). Exit codes: 0 done, 2 bad arguments or input (message on stderr, no output written).
/// </summary>
internal static class AnalyzeCommand
{
    public const int Ok = 0;
    public const int BadInput = 2;

    /// <summary>Longest interval a motion value is assumed to cover: counts after a longer gap are placed near their
    /// time stamp rather than smeared back over the gap (a vitals message covers at most 60 s).</summary>
    private const double MaxMotionInterval = 60;

    private static readonly string[] RequiredColumns = ["time", "motion", "heart_rate"];

    /// <summary>The command for the hub's command line; its values go to <see cref="Run"/>, which checks them.</summary>
    public static Command Create()
    {
        Option<string> input = new("--input") { Required = true, HelpName = "FILE", Description = "recorded night, CSV with columns time (s), motion (activity counts), heart_rate (bpm)" };
        Option<string> output = new("--output") { Required = true, HelpName = "FILE", Description = "where to write one row per 30-s epoch (CSV)" };
        Option<string> lightsOff = new("--lights-off") { HelpName = "SECONDS", Description = "time of lights-off, seconds from the start [default: 0]" };
        Option<string> need = new("--need") { HelpName = "HOURS", Description = $"the sleeper's sleep need [default: {NightMetrics.DefaultNeedHours.ToString(CultureInfo.InvariantCulture)}]" };
        var command = new Command("analyze", "Score a recorded night offline with the live scorer; writes the epochs and prints the night summary as JSON.\n" +
            "Exit codes: 0 done, 2 bad arguments or input (nothing written).") { input, output, lightsOff, need };
        command.SetAction(result =>
        {
            string[] args = [.. new[] { input, output, lightsOff, need }.Where(o => result.GetValue(o) is not null).SelectMany(o => new[] { o.Name, result.GetValue(o)! })];
            return Run(args, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
        });
        return command;
    }

    /// <param name="args">The arguments after <c>analyze</c>.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var options = Options.Parse(args);
            var rows = Read(options.Input);
            var scorer = new EpochScorer(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(options.LightsOffSeconds));
            double? lastMotion = null;
            foreach (var row in rows)
            {
                if (row.Motion is { } motion)
                {
                    var interval = Math.Min(row.Time - (lastMotion ?? 0), MaxMotionInterval);
                    scorer.Add(row.Time, interval, motion, heartRate: null, presence: null, row.Stimulating);
                    lastMotion = row.Time;
                }

                if (row.HeartRate is { } hr)
                {
                    scorer.Add(row.Time, 0, activityCount: null, hr, presence: null, row.Stimulating);
                }
            }

            scorer.ExtendTo(rows[^1].Time);
            scorer.Complete();
            var epochs = scorer.Finalized;
            WriteAtomically(options.Output, epochs);

            var metrics = NightMetrics.Compute(epochs, options.NeedHours, options.LightsOffSeconds);
            var night = epochs.Where(e => e.StartSeconds >= options.LightsOffSeconds).ToList();
            var assessments = AnalyzeAssessments.Find(night, options.NeedHours, SleepModel.Default.TstSdMin);
            stdout.WriteLine(JsonSerializer.Serialize(
                AnalyzeSummary.From(metrics, epochs.Count, options.LightsOffSeconds, assessments), DetectionJsonContext.Default.AnalyzeSummary));
            return Ok;
        }
        catch (InputException e)
        {
            stderr.WriteLine($"analyze: {e.Message}");
            stderr.WriteLine("usage: analyze --input night.csv --output epochs.csv [--lights-off SECONDS] [--need HOURS]");
            return BadInput;
        }
    }

    private static List<Row> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"input file '{path}' not found");
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            throw new InputException($"{path}: line 1: empty file, expected a header row with columns {string.Join(", ", RequiredColumns)}");
        }

        var names = header.Split(',').Select(n => n.Trim().Trim('"').ToLowerInvariant()).ToList();
        var index = new Dictionary<string, int>();
        foreach (var column in RequiredColumns)
        {
            var i = names.IndexOf(column);
            if (i < 0)
            {
                throw new InputException($"{path}: line 1: missing column '{column}' in header '{header}'");
            }

            index[column] = i;
        }

        // Optional: the Architect was stimulating (0/1), so architect-deprivation can be judged offline too.
        var stimulatingColumn = names.IndexOf("stimulating");
        var rows = new List<Row>();
        var lineNumber = 1;
        var previous = double.NegativeInfinity;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            var time = Parse(fields, index["time"], "time", lineNumber, path, required: true)!.Value;
            if (time < previous)
            {
                throw new InputException($"{path}: line {lineNumber}, column 'time': {Format(time)} goes back in time (previous row {Format(previous)})");
            }

            previous = time;
            var motion = Parse(fields, index["motion"], "motion", lineNumber, path, required: false);
            if (motion < 0)
            {
                throw new InputException($"{path}: line {lineNumber}, column 'motion': activity count {Format(motion.Value)} is negative");
            }

            var hr = Parse(fields, index["heart_rate"], "heart_rate", lineNumber, path, required: false);
            if (hr <= 0)
            {
                throw new InputException($"{path}: line {lineNumber}, column 'heart_rate': {Format(hr.Value)} bpm is not a heart rate");
            }

            var stimulating = false;
            if (stimulatingColumn >= 0 && stimulatingColumn < fields.Length && fields[stimulatingColumn].Trim().Trim('"') is { Length: > 0 } flag)
            {
                stimulating = flag switch
                {
                    "1" or "true" => true,
                    "0" or "false" => false,
                    _ => throw new InputException($"{path}: line {lineNumber}, column 'stimulating': '{flag}' is not 0, 1, true or false"),
                };
            }

            rows.Add(new Row(time, motion, hr, stimulating));
        }

        if (rows.Count == 0)
        {
            throw new InputException($"{path}: line {lineNumber}: no data rows after the header");
        }

        return rows;
    }

    private static double? Parse(string[] fields, int i, string column, int line, string path, bool required)
    {
        var text = i < fields.Length ? fields[i].Trim().Trim('"') : "";
        if (text.Length == 0)
        {
            return required ? throw new InputException($"{path}: line {line}, column '{column}': value is missing") : null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new InputException($"{path}: line {line}, column '{column}': '{text}' is not a number");
        }

        return value;
    }

    /// <summary>Writes to a temporary file in the target directory, then moves it over the target, so a reader
    /// never sees a half-written file and a failure leaves nothing behind.</summary>
    private static void WriteAtomically(string output, IReadOnlyList<ScoredEpoch> epochs)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(output))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
            {
                writer.WriteLine("epoch_start,state,p_sleep,activity,heart_rate");
                foreach (var e in epochs)
                {
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{e.StartSeconds:0},{State(e)},{e.PSleep:0.0000},{e.ActivityCount:0.##},{e.MeanHeartRate:0.#}"));
                }
            }

            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string State(ScoredEpoch e) => e.State switch
    {
        EpochState.Sleep => "sleep",
        EpochState.NoSignal => "no-signal",
        _ => "wake",
    };

    private static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private readonly record struct Row(double Time, double? Motion, double? HeartRate, bool Stimulating);

    private sealed record Options(string Input, string Output, double LightsOffSeconds, double NeedHours)
    {
        public static Options Parse(string[] args)
        {
            string? input = null, output = null;
            double lightsOff = 0, need = NightMetrics.DefaultNeedHours;
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                if (i + 1 >= args.Length)
                {
                    throw new InputException($"argument {i + 1}: '{name}' needs a value");
                }

                var value = args[++i];
                switch (name)
                {
                    case "--input": input = value; break;
                    case "--output": output = value; break;
                    case "--lights-off": lightsOff = Number(name, value, min: 0); break;
                    case "--need": need = Number(name, value, min: 0.5); break;
                    default: throw new InputException($"argument {i}: unknown option '{name}'");
                }
            }

            if (input is null || output is null)
            {
                throw new InputException($"missing {(input is null ? "--input" : "--output")}");
            }

            var outputDirectory = Path.GetDirectoryName(Path.GetFullPath(output));
            if (!Directory.Exists(outputDirectory))
            {
                throw new InputException($"--output: directory '{outputDirectory}' does not exist");
            }

            return new Options(input, output, lightsOff, need);
        }

        private static double Number(string name, string value, double min) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= min
                ? v
                : throw new InputException($"{name}: '{value}' is not a number ≥ {min.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Bad arguments or input: reported on stderr with exit code 2.</summary>
    private sealed class InputException(string message) : Exception(message);
}

using System.Globalization;
using Somnis.Hub.Detection;
using Xunit.Abstractions;

namespace Somnis.Hub.Tests.Detection;

/// <summary>
/// Validation against PSG on the 16 development nights. The figures asserted are leave-one-subject-out: each night
/// is scored by a model fitted on the other 15, which is what a held-out night from the same study will see.
/// </summary>
public sealed class ValidationTests(ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)>> Scored =
        new(() => Validation.ScoreAll(WalchNight.LoadAll(DevData.Directory!)));

    [DevDataFact]
    public void Leave_one_subject_out_meets_the_targets()
    {
        var results = Validation.CrossValidate(Scored.Value);
        output.WriteLine(Validation.Report("Leave-one-subject-out cross-validation", results));

        var pooled = Validation.Pool(results);
        Assert.Equal(16, results.Count);
        Assert.True(pooled.Sensitivity >= 0.93, $"sensitivity {pooled.Sensitivity:0.000} < 0.93");
        Assert.True(pooled.Specificity >= 0.50, $"specificity {pooled.Specificity:0.000} < 0.50");
        Assert.True(pooled.Kappa >= 0.40, $"kappa {pooled.Kappa:0.000} < 0.40");
        Assert.True(Validation.TstMae(results) <= 25, $"TST MAE {Validation.TstMae(results):0.0} min > 25");
    }

    [DevDataFact]
    public void Analyze_command_on_a_real_night_matches_the_scorer_and_is_fast()
    {
        var (night, epochs) = Scored.Value[0];
        var dir = Directory.CreateTempSubdirectory("somnis-validate-").FullName;
        try
        {
            var input = Path.Combine(dir, "night.csv");
            var rows = night.Counts.Select(c => (Time: c.Time + WalchNight.CountSeconds, Line: string.Create(CultureInfo.InvariantCulture, $"{c.Time + WalchNight.CountSeconds},{c.Count},")))
                .Concat(night.HeartRate.Select(h => (h.Time, Line: string.Create(CultureInfo.InvariantCulture, $"{h.Time},,{h.Bpm}"))))
                .OrderBy(r => r.Time);
            File.WriteAllLines(input, ["time,motion,heart_rate", .. rows.Select(r => r.Line)]);
            var epochsCsv = Path.Combine(dir, "epochs.csv");

            var watch = System.Diagnostics.Stopwatch.StartNew();
            var code = AnalyzeCommand.Run(["--input", input, "--output", epochsCsv], TextWriter.Null, TextWriter.Null);
            watch.Stop();

            Assert.Equal(0, code);
            var states = File.ReadAllLines(epochsCsv).Skip(1).Select(l => l.Split(',')[1]).ToList();
            var expected = epochs.Select(e => e.IsSleep ? "sleep" : "wake").ToList();
            var common = Math.Min(states.Count, expected.Count);
            Assert.True(Math.Abs(states.Count - expected.Count) <= 1, $"{states.Count} vs {expected.Count} epochs");
            Assert.Equal(expected[..common], states[..common]);
            output.WriteLine($"analyze of {night.Subject}: {states.Count} epochs in {watch.ElapsedMilliseconds} ms");
            // Loose bound on a shared 2-core machine; the typical figure is printed above.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [DevDataFact]
    public void Validate_command_prints_the_tables()
    {
        var stdout = new StringWriter();

        Assert.Equal(0, ValidateCommand.Run(["--data", DevData.Directory!], stdout, TextWriter.Null));
        Assert.Contains("pooled", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("Cole-Kripke + Webster", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, ValidateCommand.Run(["--data"], TextWriter.Null, TextWriter.Null));
    }

    [DevDataFact]
    public void Shipped_model_is_the_fit_on_all_nights()
    {
        var refit = Validation.Fit(Scored.Value);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv,
            $"Intercept: {refit.Intercept:R},\nWeights: [{string.Join(", ", refit.Weights.Select(w => w.ToString("R", inv)))}],\nThreshold: {refit.Threshold:R}"));
        output.WriteLine(Validation.Report("Shipped model, in sample (all 16 nights)",
            Scored.Value.Select(s => Validation.Evaluate(s.Night, s.Epochs, SleepModel.Default)).ToList()));

        var shipped = SleepModel.Default;
        Assert.Equal(refit.Intercept, shipped.Intercept, 3);
        Assert.Equal(refit.Threshold, shipped.Threshold, 3);
        for (var i = 0; i < refit.Weights.Count; i++)
        {
            Assert.Equal(refit.Weights[i], shipped.Weights[i], 3);
        }
    }
}

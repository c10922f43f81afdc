using System.Globalization;
using Somnis.Hub.Detection;
using Xunit.Abstractions;

namespace Somnis.Hub.Tests.Detection;

/// <summary>
/// Validation against PSG on the 16 development nights, by nested leave-one-subject-out cross-validation: each night is
/// scored by a model whose weights, calibration, threshold and TST uncertainty came from the other 15 only (the inner
/// folds choose, the outer fold measures), which is what a new sleeper will see. The cross-validation runs once per test
/// run (<see cref="DevNights"/>) and its figures are printed with the assertions.
/// </summary>
public sealed class ValidationTests(ITestOutputHelper output)
{
    private static IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> Scored => DevNights.Scored.Value;

    [DevDataFact]
    public void Nested_cross_validation_meets_the_epoch_targets_and_finds_the_short_nights()
    {
        var results = DevNights.Folds.Value;
        output.WriteLine(ValidationReport.Text("Nested leave-one-subject-out cross-validation", results));

        var pooled = Validation.Pool(results);
        Assert.Equal(16, results.Count);
        Assert.True(pooled.Sensitivity >= 0.93, $"sensitivity {pooled.Sensitivity:0.000} < 0.93");
        Assert.True(pooled.Specificity >= 0.60, $"specificity {pooled.Specificity:0.000} < 0.60");
        Assert.True(pooled.Kappa >= 0.50, $"kappa {pooled.Kappa:0.000} < 0.50");
        var found = results.Count(r => r.PsgShort && r.Flagged);
        var falseFlags = results.Count(r => !r.PsgShort && r.Flagged);
        Assert.True(found >= 5, $"short nights found {found} of {results.Count(r => r.PsgShort)}");
        Assert.True(falseFlags <= 1, $"{falseFlags} nights flagged short that were not");
        // The spread across folds, not only the pool: no held-out night with signal may be scored worse than chance.
        Assert.All(Validation.Covered(results), r => Assert.True(r.Confusion.Kappa > 0.1, $"{r.Subject}: kappa {r.Confusion.Kappa:0.00}"));
    }

    [DevDataFact]
    public void Night_level_errors_stay_where_they_were_measured()
    {
        var results = DevNights.Folds.Value;
        var covered = Validation.Covered(results);

        // Only a night whose sensor went silent is left out of the night-level figures (7749105: motion stops after 67 min).
        Assert.Equal(15, covered.Count);
        // Issue 19's targets are TST MAE <= 15 min and WASO MAE <= 12 min; measured 17.1 and 12.6 (docs/detection.md, what was
        // tried and why neither is met honestly): these bounds guard what was reached (the computation is deterministic).
        var tst = Validation.TstMae(covered);
        var waso = Validation.WasoMae(covered);
        var wasoCounted = covered.Average(r => Math.Abs(r.WasoCountErrorMin));
        output.WriteLine($"TST MAE {tst:0.0} min, WASO MAE {waso:0.0} min (counting the epochs called wake: {wasoCounted:0.0}) over {covered.Count} nights with signal");
        Assert.True(tst <= 17.5, $"TST MAE {tst:0.0} min");
        Assert.True(waso <= 13, $"WASO MAE {waso:0.0} min");
        // The WASO estimate (each epoch called wake counted as its p(wake)) must keep its gain over counting the epochs.
        Assert.True(waso < wasoCounted - 2, $"WASO MAE {waso:0.0} min against {wasoCounted:0.0} counted");
        Assert.InRange(covered.Average(r => r.TstErrorMin), -5, 5);
        // Low by 7.6 min on average: the quiet wake no motion/HR feature sees (three nights); about −1 on the other twelve.
        Assert.InRange(covered.Average(r => r.WasoErrorMin), -10, 5);
    }

    [DevDataFact]
    public void P_sleep_is_calibrated_on_nights_the_model_never_saw()
    {
        var results = DevNights.Folds.Value;
        var bins = Enumerable.Range(0, ReliabilityBin.Bins)
            .Select(b => results.Aggregate(new ReliabilityBin(), (a, r) => a + r.Reliability[b])).ToList();
        foreach (var (b, i) in bins.Select((b, i) => (b, i)))
        {
            output.WriteLine($"p in [{i / 10.0:0.0}, {(i + 1) / 10.0:0.0}): {b.Count,5} epochs, mean p {b.MeanP:0.000}, sleep {b.SleepFraction:0.000}");
        }

        var brier = results.Sum(r => r.Brier * r.Confusion.Total) / results.Sum(r => r.Confusion.Total);
        output.WriteLine($"Brier pooled {brier:0.0000}; per fold {string.Join(", ", results.Select(r => r.Brier.ToString("0.000", CultureInfo.InvariantCulture)))}");
        Assert.True(brier < 0.05, $"Brier {brier:0.000}");
        // Where there are enough epochs to tell, predicted and observed sleep agree within 0.1.
        Assert.All(bins.Where(b => b.Count >= 200), b => Assert.InRange(b.MeanP - b.SleepFraction, -0.1, 0.1));
    }

    [DevDataFact]
    public void Analyze_command_on_a_real_night_matches_the_scorer()
    {
        var (night, epochs) = Scored[0];
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
            var expected = epochs.Select(e => e.State switch { EpochState.Sleep => "sleep", EpochState.NoSignal => "no-signal", _ => "wake" }).ToList();
            var common = Math.Min(states.Count, expected.Count);
            Assert.True(Math.Abs(states.Count - expected.Count) <= 1, $"{states.Count} vs {expected.Count} epochs");
            Assert.Equal(expected[..common], states[..common]);
            // The figure for the reader only: speed is measured in bench/, never asserted here (a busy machine can take
            // several times as long).
            output.WriteLine($"analyze of {night.Subject}: {states.Count} epochs in {watch.ElapsedMilliseconds} ms");
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

        // Three nights keep it short: the full run is the nested cross-validation above.
        var dir = Directory.CreateTempSubdirectory("somnis-validate-").FullName;
        try
        {
            foreach (var subject in Scored.Take(3).Select(s => s.Night.Subject))
            {
                foreach (var kind in new[] { "counts", "hr", "psg" })
                {
                    File.Copy(Path.Combine(DevData.Directory!, $"{subject}_{kind}.txt"), Path.Combine(dir, $"{subject}_{kind}.txt"));
                }
            }

            var json = Path.Combine(dir, "folds.json");
            Assert.Equal(0, ValidateCommand.Run(["--data", dir, "--json", json], stdout, TextWriter.Null));
            var text = stdout.ToString();
            // A line per subject, then the summary next to the published baselines.
            Assert.All(Scored.Take(3), s => Assert.Contains(s.Night.Subject, text, StringComparison.Ordinal));
            Assert.Contains("pooled", text, StringComparison.Ordinal);
            Assert.Contains("Cole-Kripke + Webster", text, StringComparison.Ordinal);
            Assert.Contains("\"reliability\"", File.ReadAllText(json), StringComparison.Ordinal);
            Assert.Equal(2, ValidateCommand.Run(["--data"], TextWriter.Null, TextWriter.Null));
            Assert.Equal(2, ValidateCommand.Run(["--data", dir, "--bogus", "x"], TextWriter.Null, TextWriter.Null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [DevDataFact]
    public void Shipped_model_is_the_fit_on_all_nights()
    {
        var refit = Validation.Fit(Scored);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv,
            $"Intercept: {refit.Intercept:R},\nWeights: [{string.Join(", ", refit.Weights.Select(w => w.ToString("R", inv)))}],\nThreshold: {refit.Threshold:R},\nCalibrationSlope: {refit.CalibrationSlope:R},\nCalibrationOffset: {refit.CalibrationOffset:R},\nTstSdMin: {refit.TstSdMin:R}"));

        var shipped = SleepModel.Default;
        Assert.Equal(refit.Intercept, shipped.Intercept, 3);
        Assert.Equal(refit.Threshold, shipped.Threshold, 3);
        Assert.Equal(refit.CalibrationSlope, shipped.CalibrationSlope, 3);
        Assert.Equal(refit.CalibrationOffset, shipped.CalibrationOffset, 3);
        Assert.Equal(refit.TstSdMin, shipped.TstSdMin, 1);
        for (var i = 0; i < refit.Weights.Count; i++)
        {
            Assert.Equal(refit.Weights[i], shipped.Weights[i], 3);
        }
    }
}

/// <summary>The development nights scored once, and their nested cross-validation run once, per test run.</summary>
internal static class DevNights
{
    public static readonly Lazy<IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)>> Scored =
        new(() => Validation.ScoreAll(WalchNight.LoadAll(DevData.Directory!)));

    public static readonly Lazy<IReadOnlyList<FoldResult>> Folds = new(() => Validation.CrossValidate(Scored.Value));
}

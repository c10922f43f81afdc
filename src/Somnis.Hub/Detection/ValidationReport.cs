using System.Globalization;
using System.Text;

namespace Somnis.Hub.Detection;

/// <summary>The validation's tables (text) and figures' data (JSON for the plots in docs/detection.md).</summary>
internal static class ValidationReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string Header =
        "subject   epochs signal  acc    sens   spec   kappa  Brier  | TST PSG  est ± sd    err | WASO PSG/est/called | SOL PSG/est | awak PSG/est | short PSG/flag";

    /// <summary>One subject's line (printed as each fold finishes).</summary>
    public static string Row(FoldResult r)
    {
        var c = r.Confusion;
        return string.Create(Inv,
            $"{r.Subject,-9} {r.LabelledEpochs,6} {r.Coverage,6:0.00}  {c.Accuracy:0.000}  {c.Sensitivity:0.000}  {c.Specificity:0.000}  {c.Kappa,5:0.00}  {r.Brier:0.000}  | {r.Psg.TotalSleepMin,7:0}  {r.Scored.ExpectedSleepMin,4:0} ± {r.Model.TstSdMin,2:0}  {r.TstErrorMin,5:0} | {r.Psg.WasoMin,4:0}/{r.Scored.ExpectedWasoMin,-3:0}/{r.Scored.WasoMin,-3:0}       | {r.Psg.SleepOnsetLatencyMin,3:0}/{r.Scored.SleepOnsetLatencyMin,-3:0}     | {r.Psg.Awakenings,3}/{r.Scored.Awakenings,-3}      | {(r.PsgShort ? "y" : "n")}/{(r.Flagged ? "y" : "n")}{(r.Coverage < Validation.MinCoverage ? "  (signal lost: night not judged)" : "")}");
    }

    /// <summary>The full report: per-subject rows, pooled and per-fold spread, night level, published baselines.</summary>
    public static string Text(string title, IReadOnlyList<FoldResult> results)
    {
        var s = new StringBuilder();
        s.AppendLine(title);
        s.AppendLine(Header);
        foreach (var r in results)
        {
            s.AppendLine(Row(r));
        }

        s.Append(Summary(results));
        return s.ToString();
    }

    /// <summary>Pooled and per-fold figures, night-level errors and the published baselines.</summary>
    public static string Summary(IReadOnlyList<FoldResult> results)
    {
        var s = new StringBuilder();
        var pooled = Validation.Pool(results);
        var brier = results.Sum(r => r.Brier * r.Confusion.Total) / pooled.Total;
        s.AppendLine(string.Create(Inv,
            $"pooled    {pooled.Total,6} {1 - ((double)results.Sum(r => r.NoSignalEpochs) / results.Sum(r => r.LabelledEpochs)),6:0.00}  {pooled.Accuracy:0.000}  {pooled.Sensitivity:0.000}  {pooled.Specificity:0.000}  {pooled.Kappa,5:0.00}  {brier:0.000}"));
        s.AppendLine("spread across folds (median [min - max]): " + string.Join("; ",
            Spread("sens", results.Select(r => r.Confusion.Sensitivity)),
            Spread("spec", results.Select(r => r.Confusion.Specificity)),
            Spread("kappa", results.Select(r => r.Confusion.Kappa)),
            Spread("Brier", results.Select(r => r.Brier))));
        var covered = Validation.Covered(results);
        foreach (var (label, set) in new[] { ($"nights with signal >= {Validation.MinCoverage:P0} ({covered.Count})", covered), ($"all nights ({results.Count})", results) })
        {
            var tst = set.Select(r => r.TstErrorMin).ToList();
            var sd = Math.Sqrt(tst.Sum(e => (e - tst.Average()) * (e - tst.Average())) / Math.Max(1, tst.Count - 1));
            s.AppendLine(string.Create(Inv,
                $"{label}: TST MAE {Validation.TstMae(set):0.0} min (bias {tst.Average():+0.0;-0.0}, limits of agreement {tst.Average() - (1.96 * sd):+0;-0} to {tst.Average() + (1.96 * sd):+0;-0}); WASO MAE {Validation.WasoMae(set):0.0} min (bias {set.Average(r => r.WasoErrorMin):+0.0;-0.0}; counting the epochs called wake: {set.Average(r => Math.Abs(r.WasoCountErrorMin)):0.0}, bias {set.Average(r => r.WasoCountErrorMin):+0.0;-0.0}); SOL MAE {set.Average(r => Math.Abs(r.SolErrorMin ?? 0)):0.0} min; awakenings MAE {set.Average(r => Math.Abs(r.AwakeningsError)):0.0}"));
        }

        s.AppendLine("night-level spread across the folds with signal (median [min - max]): " + string.Join("; ",
            Spread("|TST error| min", covered.Select(r => Math.Abs(r.TstErrorMin)), "0.0"),
            Spread("|WASO error| min", covered.Select(r => Math.Abs(r.WasoErrorMin)), "0.0")));
        s.AppendLine(string.Create(Inv,
            $"short nights (PSG TST < {results.FirstOrDefault()?.Psg.NeedHours ?? NightMetrics.DefaultNeedHours} h): flagged {results.Count(r => r.PsgShort && r.Flagged)}/{results.Count(r => r.PsgShort)}, false flags {results.Count(r => !r.PsgShort && r.Flagged)}"));
        s.AppendLine("published (whole study, 31 nights)    acc    sens   spec   kappa");
        foreach (var p in Validation.Published)
        {
            s.AppendLine(string.Create(Inv, $"{p.Method,-38} {p.Accuracy,-6} {p.Sensitivity,-6} {p.Specificity,-6} {p.Kappa}"));
        }

        s.AppendLine(string.Create(Inv,
            $"{"Somnis (this validation, 16 dev nights)",-38} {pooled.Accuracy,-6:0.000} {pooled.Sensitivity,-6:0.000} {pooled.Specificity,-6:0.000} {pooled.Kappa:0.00}"));
        return s.ToString();
    }

    private static string Spread(string name, IEnumerable<double> values, string format = "0.000")
    {
        var v = values.Where(double.IsFinite).Order().ToList();
        var median = v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
        return string.Create(Inv, $"{name} {median.ToString(format, Inv)} [{v[0].ToString(format, Inv)} - {v[^1].ToString(format, Inv)}]");
    }

    /// <summary>The folds as plain numbers for the figures (reliability curves, Bland–Altman).</summary>
    public static ValidationData Data(IReadOnlyList<FoldResult> results) => new(
        [.. results.Select(r => new FoldData(
            r.Subject, Round(r.Coverage), Finite(r.Confusion.Sensitivity), Finite(r.Confusion.Specificity), Finite(r.Confusion.Kappa),
            Finite(r.Brier),
            [.. r.Reliability.Select(b => new ReliabilityData(b.Count, Finite(b.MeanP), Finite(b.SleepFraction)))],
            r.Psg.TotalSleepMin, Round(r.Scored.ExpectedSleepMin), Round(r.Model.TstSdMin), r.Scored.TotalSleepMin,
            r.Psg.WasoMin, Round(r.Scored.ExpectedWasoMin), r.Scored.WasoMin, r.Psg.SleepOnsetLatencyMin, r.Scored.SleepOnsetLatencyMin,
            r.Psg.Awakenings, r.Scored.Awakenings, r.PsgShort, r.Flagged))]);

    private static double Round(double v) => Math.Round(v, 4);

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;
}

/// <summary>What <c>validate --json</c> writes.</summary>
internal sealed record ValidationData(IReadOnlyList<FoldData> Folds);

/// <summary>One outer fold (held-out night) for the figures.</summary>
internal sealed record FoldData(
    string Subject,
    double Coverage,
    double? Sensitivity,
    double? Specificity,
    double? Kappa,
    double? Brier,
    IReadOnlyList<ReliabilityData> Reliability,
    double PsgTstMin,
    double ExpectedTstMin,
    double TstSdMin,
    double ScoredTstMin,
    double PsgWasoMin,
    double ExpectedWasoMin,
    double WasoMin,
    double? PsgSolMin,
    double? SolMin,
    int PsgAwakenings,
    int Awakenings,
    bool PsgShort,
    bool Flagged);

/// <summary>One reliability bin: epochs, mean predicted p(sleep), observed sleep fraction.</summary>
internal sealed record ReliabilityData(int Count, double? MeanP, double? SleepFraction);

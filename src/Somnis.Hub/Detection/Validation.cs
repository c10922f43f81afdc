using System.Globalization;
using System.Text;

namespace Somnis.Hub.Detection;

/// <summary>One PSG-labelled night of the Walch 2019 data set, as published (times in seconds from PSG start).</summary>
internal sealed record WalchNight(
    string Subject,
    IReadOnlyList<(double Time, double Count)> Counts,
    IReadOnlyList<(double Time, double Bpm)> HeartRate,
    IReadOnlyList<(double Time, int Label)> Psg)
{
    /// <summary>Each count covers the 15 s starting at its time stamp.</summary>
    public const double CountSeconds = 15;

    public static WalchNight Load(string directory, string subject)
    {
        static IEnumerable<double[]> Rows(string path, char separator) =>
            File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => l
                .Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());

        return new WalchNight(
            subject,
            Rows(Path.Combine(directory, $"{subject}_counts.txt"), ',').Select(r => (r[0], r[1])).ToList(),
            Rows(Path.Combine(directory, $"{subject}_hr.txt"), ' ').Select(r => (r[0], r[1])).ToList(),
            Rows(Path.Combine(directory, $"{subject}_psg.txt"), ' ').Select(r => (r[0], (int)r[1])).ToList());
    }

    /// <summary>Every subject with all three files in <paramref name="directory"/>, sorted by id.</summary>
    public static IReadOnlyList<WalchNight> LoadAll(string directory) =>
        Directory.GetFiles(directory, "*_psg.txt")
            .Select(p => Path.GetFileName(p)[..^"_psg.txt".Length])
            .Where(s => File.Exists(Path.Combine(directory, $"{s}_counts.txt"))
                && File.Exists(Path.Combine(directory, $"{s}_hr.txt")))
            .Order(StringComparer.Ordinal)
            .Select(s => Load(directory, s))
            .ToList();

    /// <summary>
    /// Runs the night through the live path: counts as 15-s intervals ending 15 s after their stamp, HR as
    /// instantaneous readings at their irregular times, merged in time order as a device would send them.
    /// </summary>
    public IReadOnlyList<ScoredEpoch> Score(SleepModel? model = null)
    {
        var scorer = new EpochScorer(DateTimeOffset.UnixEpoch, model: model);
        var samples = Counts.Select(c => (End: c.Time + CountSeconds, Interval: CountSeconds, Count: (double?)c.Count, Hr: (double?)null))
            .Concat(HeartRate.Select(h => (End: h.Time, Interval: 0.0, Count: (double?)null, Hr: (double?)h.Bpm)))
            .OrderBy(s => s.End);
        foreach (var s in samples)
        {
            scorer.Add(s.End, s.Interval, s.Count, s.Hr, presence: null, stimulating: false);
        }

        scorer.ExtendTo(Psg.Count > 0 ? Psg[^1].Time + EpochScorer.EpochSeconds : 0);
        scorer.Complete();
        return scorer.Finalized;
    }

    /// <summary>Pairs each scored PSG epoch (label ≥ 0) with its scored epoch: (truth is sleep, epoch).</summary>
    public IEnumerable<(bool Sleep, ScoredEpoch Epoch)> Labelled(IReadOnlyList<ScoredEpoch> epochs)
    {
        foreach (var (time, label) in Psg)
        {
            var i = (int)Math.Round(time / EpochScorer.EpochSeconds);
            if (label >= 0 && i >= 0 && i < epochs.Count)
            {
                yield return (label > 0, epochs[i]);
            }
        }
    }
}

/// <summary>Sleep-positive confusion counts with the usual figures.</summary>
internal readonly record struct Confusion(int TruePositive, int FalseNegative, int TrueNegative, int FalsePositive)
{
    public int Total => TruePositive + FalseNegative + TrueNegative + FalsePositive;

    public double Accuracy => (double)(TruePositive + TrueNegative) / Total;

    /// <summary>Sleep epochs scored sleep.</summary>
    public double Sensitivity => Ratio(TruePositive, TruePositive + FalseNegative);

    /// <summary>Wake epochs scored wake.</summary>
    public double Specificity => Ratio(TrueNegative, TrueNegative + FalsePositive);

    public double Kappa
    {
        get
        {
            double n = Total;
            var expected = ((double)(TruePositive + FalseNegative) * (TruePositive + FalsePositive)
                + (double)(TrueNegative + FalsePositive) * (TrueNegative + FalseNegative)) / (n * n);
            return expected >= 1 ? 0 : (Accuracy - expected) / (1 - expected);
        }
    }

    public static Confusion operator +(Confusion a, Confusion b) => new(
        a.TruePositive + b.TruePositive, a.FalseNegative + b.FalseNegative,
        a.TrueNegative + b.TrueNegative, a.FalsePositive + b.FalsePositive);

    public static Confusion Of(IEnumerable<(bool Truth, bool Predicted)> pairs)
    {
        var c = new Confusion();
        foreach (var (t, p) in pairs)
        {
            c += new Confusion(t && p ? 1 : 0, t && !p ? 1 : 0, !t && !p ? 1 : 0, !t && p ? 1 : 0);
        }

        return c;
    }

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}

/// <summary>One night's validation: epoch agreement and night-level TST against PSG (scored epochs only).</summary>
internal sealed record SubjectResult(string Subject, Confusion Confusion, double PsgTstMin, double ScoredTstMin, double NeedHours)
{
    public double TstErrorMin => ScoredTstMin - PsgTstMin;

    public bool PsgShort => PsgTstMin < NeedHours * 60;

    public bool ScoredShort => ScoredTstMin < NeedHours * 60;
}

/// <summary>Validation of the scorer against PSG: shipped model and leave-one-subject-out refits.</summary>
internal static class Validation
{
    /// <summary>Published figures on the whole study (data set README): accuracy, sensitivity, specificity, kappa.</summary>
    public static readonly (string Method, string Accuracy, string Sensitivity, string Specificity, string Kappa)[] Published =
    [
        ("always sleep", "0.909", "1.000", "0.000", "0.00"),
        ("Cole-Kripke + Webster", "0.917", "0.975", "0.334", "0.38"),
        ("Sadeh", "0.919", "0.977", "0.344", "0.40"),
        ("Walch et al. 2019", "0.90", "0.93", "0.596", "-"),
    ];

    /// <summary>Scores every night once; features do not depend on the model, only the decision does.</summary>
    public static IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> ScoreAll(IEnumerable<WalchNight> nights) =>
        nights.Select(n => (n, n.Score())).ToList();

    public static bool Decide(SleepModel model, ScoredEpoch e) =>
        e.State != EpochState.OutOfBed && model.PSleep(e.Features, e.ActivityCount) >= model.Threshold;

    /// <summary>Fits the model on the given nights' labelled epochs, threshold set for the target sensitivity.</summary>
    public static SleepModel Fit(IEnumerable<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> training)
    {
        var x = new List<double[]>();
        var y = new List<bool>();
        var activity = new List<double?>();
        foreach (var (night, epochs) in training)
        {
            foreach (var (sleep, e) in night.Labelled(epochs))
            {
                x.Add(e.Features.ToArray());
                y.Add(sleep);
                activity.Add(e.ActivityCount);
            }
        }

        var beta = LogisticRegression.Fit(x, y, SleepModel.Ridge);
        var clock = EpochFeatures.Count;
        var clockWeight = Math.Clamp(beta[clock], 0, SleepModel.ClockMaxLogit);
        if (clockWeight != beta[clock])
        {
            // The clock prior may only favour sleep, by at most ClockMaxLogit: fix its weight at the bound and
            // refit the rest around it, so the other weights are fitted for the model that actually runs.
            var rest = x.Select(r => r[..^1]).ToList();
            var offset = x.Select(r => clockWeight * r[^1]).ToList();
            beta = [.. LogisticRegression.Fit(rest, y, SleepModel.Ridge, offset), clockWeight];
        }

        var unthresholded = SleepModel.FromVector(beta, 0.5);
        var pSleep = new List<double>();
        for (var i = 0; i < x.Count; i++)
        {
            if (y[i])
            {
                var f = x[i];
                pSleep.Add(unthresholded.PSleep(new EpochFeatures(f[0], f[1], f[2], f[3], f[4], f[5]), activity[i]));
            }
        }

        return unthresholded with { Threshold = SleepModel.ThresholdForSensitivity(pSleep, SleepModel.TargetSensitivity) };
    }

    public static SubjectResult Evaluate(WalchNight night, IReadOnlyList<ScoredEpoch> epochs, SleepModel model,
        double needHours = NightMetrics.DefaultNeedHours)
    {
        var pairs = night.Labelled(epochs).Select(l => (l.Sleep, Decide(model, l.Epoch))).ToList();
        var minutes = EpochScorer.EpochSeconds / 60;
        return new SubjectResult(night.Subject, Confusion.Of(pairs),
            pairs.Count(p => p.Item1) * minutes, pairs.Count(p => p.Item2) * minutes, needHours);
    }

    /// <summary>Leave-one-subject-out: each night is scored by a model fitted on the other nights.</summary>
    public static IReadOnlyList<SubjectResult> CrossValidate(IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> scored) =>
        scored.Select(held => Evaluate(held.Night, held.Epochs,
            Fit(scored.Where(s => s.Night.Subject != held.Night.Subject)))).ToList();

    /// <summary>Per-subject table, pooled figures and night-level TST / short-night agreement.</summary>
    public static string Report(string title, IReadOnlyList<SubjectResult> results)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(title);
        s.AppendLine("subject   epochs  acc    sens   spec   kappa  PSG-TST  TST    err(min) short PSG/scored");
        foreach (var r in results)
        {
            var c = r.Confusion;
            s.AppendLine(string.Create(inv,
                $"{r.Subject,-9} {c.Total,6}  {c.Accuracy:0.000}  {c.Sensitivity:0.000}  {c.Specificity:0.000}  {c.Kappa,5:0.00}  {r.PsgTstMin,7:0}  {r.ScoredTstMin,5:0}  {r.TstErrorMin,8:0}  {(r.PsgShort ? "y" : "n")}/{(r.ScoredShort ? "y" : "n")}"));
        }

        var pooled = Pool(results);
        s.AppendLine(string.Create(inv,
            $"pooled    {pooled.Total,6}  {pooled.Accuracy:0.000}  {pooled.Sensitivity:0.000}  {pooled.Specificity:0.000}  {pooled.Kappa,5:0.00}"));
        var shortNights = results.Count(r => r.PsgShort);
        s.AppendLine(string.Create(inv,
            $"TST mean absolute error {TstMae(results):0.0} min, mean error {results.Average(r => r.TstErrorMin):0.0} min; short nights (<{results.FirstOrDefault()?.NeedHours ?? NightMetrics.DefaultNeedHours} h) flagged {results.Count(r => r.PsgShort && r.ScoredShort)}/{shortNights}, false flags {results.Count(r => !r.PsgShort && r.ScoredShort)}"));
        s.AppendLine("published (whole study, 31 nights)  acc    sens   spec   kappa");
        foreach (var p in Published)
        {
            s.AppendLine(string.Create(inv, $"{p.Method,-36} {p.Accuracy,-6} {p.Sensitivity,-6} {p.Specificity,-6} {p.Kappa}"));
        }

        return s.ToString();
    }

    public static Confusion Pool(IEnumerable<SubjectResult> results) =>
        results.Aggregate(new Confusion(), (a, r) => a + r.Confusion);

    public static double TstMae(IReadOnlyList<SubjectResult> results) => results.Average(r => Math.Abs(r.TstErrorMin));
}

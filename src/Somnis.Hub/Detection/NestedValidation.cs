namespace Somnis.Hub.Detection;

/// <summary>One bin of a reliability curve: epochs whose calibrated p(sleep) fell in the bin, their summed p and how
/// many were sleep by PSG.</summary>
internal readonly record struct ReliabilityBin(int Count, double SumP, int Sleep)
{
    public const int Bins = 10;

    public double MeanP => Count == 0 ? double.NaN : SumP / Count;

    public double SleepFraction => Count == 0 ? double.NaN : (double)Sleep / Count;

    public static ReliabilityBin operator +(ReliabilityBin a, ReliabilityBin b) => new(a.Count + b.Count, a.SumP + b.SumP, a.Sleep + b.Sleep);
}

/// <summary>
/// One night scored by a model that never saw it (an outer fold): epoch agreement, calibration, and the night's
/// metrics next to PSG's, computed over the PSG-scored epochs.
/// </summary>
/// <param name="Subject">The night's subject.</param>
/// <param name="Confusion">Sleep-positive epoch agreement over scored epochs (no-signal epochs are not scored).</param>
/// <param name="LabelledEpochs">PSG-scored epochs of the night.</param>
/// <param name="NoSignalEpochs">Of those, epochs without motion data (not scored).</param>
/// <param name="Brier">Mean squared error of calibrated p(sleep) over the scored epochs.</param>
/// <param name="Reliability">Reliability curve of the fold (<see cref="ReliabilityBin.Bins"/> bins of p).</param>
/// <param name="Psg">The night's metrics from the PSG labels.</param>
/// <param name="Scored">The night's metrics from the scorer's decisions (and Σ p for the TST and WASO estimates).</param>
/// <param name="Loss">What <c>acute-sleep-loss</c> said at the end of the night (null: not short).</param>
/// <param name="Model">The model the night was scored with (fitted and tuned on the other nights only).</param>
internal sealed record FoldResult(
    string Subject,
    Confusion Confusion,
    int LabelledEpochs,
    int NoSignalEpochs,
    double Brier,
    IReadOnlyList<ReliabilityBin> Reliability,
    NightMetrics Psg,
    NightMetrics Scored,
    AcuteSleepLossEvidence? Loss,
    SleepModel Model)
{
    public double Coverage => LabelledEpochs == 0 ? 0 : 1 - ((double)NoSignalEpochs / LabelledEpochs);

    public bool PsgShort => Psg.TotalSleepMin < Psg.NeedHours * 60;

    public bool Flagged => Loss?.Reason == "short-night";

    /// <summary>Expected TST (Σ p) − PSG TST, minutes; no-signal epochs count as unknown (not added).</summary>
    public double TstErrorMin => Scored.ExpectedSleepMin - Psg.TotalSleepMin;

    /// <summary>WASO estimate (Σ p(wake) of the epochs called wake in the sleep period) − PSG WASO, minutes.</summary>
    public double WasoErrorMin => Scored.ExpectedWasoMin - Psg.WasoMin;

    /// <summary>Epochs called wake in the sleep period − PSG WASO, minutes (the count the estimate replaced).</summary>
    public double WasoCountErrorMin => Scored.WasoMin - Psg.WasoMin;

    public double? SolErrorMin => Scored.SleepOnsetLatencyMin - Psg.SleepOnsetLatencyMin;

    public int AwakeningsError => Scored.Awakenings - Psg.Awakenings;
}

/// <summary>
/// Fitting and nested leave-one-subject-out validation of the scorer against PSG. Outer fold: one night is held out
/// and only measured. Inner folds: each of the remaining nights is scored by a model fitted on the others; those
/// out-of-sample predictions, never the held-out night, choose the calibration, the decision threshold and the TST
/// uncertainty. The weights are then fitted on all the remaining nights.
/// </summary>
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

    /// <summary>Scores every night once; features and the no-signal/out-of-bed states do not depend on the model, only the decision does.</summary>
    public static IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> ScoreAll(IEnumerable<WalchNight> nights) =>
        nights.Select(n => (n, n.Score())).ToList();

    /// <summary>Fits the weights (uncalibrated, threshold 0.5) on the scored, PSG-labelled epochs of the given nights.</summary>
    public static SleepModel FitWeights(IEnumerable<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> training)
    {
        var x = new List<double[]>();
        var y = new List<bool>();
        foreach (var (night, epochs) in training)
        {
            foreach (var (sleep, e) in night.Labelled(epochs))
            {
                if (e.InBed)
                {
                    x.Add(e.Features.ToArray());
                    y.Add(sleep);
                }
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

        return SleepModel.FromVector(beta, 0.5);
    }

    /// <summary>
    /// The whole model from the given nights: weights fitted on all of them; calibration, operating point and TST
    /// uncertainty chosen on their leave-one-out predictions (inner folds).
    /// </summary>
    public static SleepModel Fit(IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> training,
        double needHours = NightMetrics.DefaultNeedHours)
    {
        // Out-of-sample logits of every training night: (night, truth, logit, epoch) per scored labelled epoch.
        var inner = training.Select(held =>
        {
            var weights = FitWeights(training.Where(t => t.Night.Subject != held.Night.Subject));
            return (held.Night, held.Epochs, Weights: weights);
        }).ToList();
        var pairs = inner.SelectMany(f => f.Night.Labelled(f.Epochs).Where(l => l.Epoch.InBed)
            .Select(l => (l.Sleep, Logit: f.Weights.Logit(l.Epoch.Features), l.Epoch.ActivityCount))).ToList();

        // Platt scaling: p = σ(a·logit + b), fitted on predictions for nights the weights never saw.
        var platt = LogisticRegression.Fit(pairs.Select(p => new[] { p.Logit }).ToList(), pairs.Select(p => p.Sleep).ToList(), ridge: 0);
        var (slope, offset) = (platt[1], platt[0]);

        // Operating point: the threshold giving the target sensitivity on those predictions; then the spread of the
        // nights' expected TST around PSG there. Nights whose signal was lost are not judged at night level (their TST
        // is unknown, not wrong).
        var sleepP = pairs.Where(p => p.Sleep).Select(p => Calibrated(slope, offset, p.Logit, p.ActivityCount)).ToList();
        var threshold = SleepModel.ThresholdForSensitivity(sleepP, SleepModel.TargetSensitivity);
        var results = Covered(inner.Select(f => Evaluate(f.Night, f.Epochs,
            f.Weights with { Threshold = threshold, CalibrationSlope = slope, CalibrationOffset = offset }, needHours)));
        var sd = Math.Sqrt(results.Average(r => r.TstErrorMin * r.TstErrorMin));
        return FitWeights(training) with { Threshold = threshold, CalibrationSlope = slope, CalibrationOffset = offset, TstSdMin = sd };
    }

    private static double Calibrated(double slope, double offset, double logit, double? activity) =>
        activity >= SleepModel.LargeMovementCount ? 0 : 1 / (1 + Math.Exp(-((slope * logit) + offset)));

    /// <summary>Nested leave-one-subject-out: each night scored by <see cref="Fit"/> on the other nights;
    /// <paramref name="progress"/> sees each fold as it is done.</summary>
    public static IReadOnlyList<FoldResult> CrossValidate(IReadOnlyList<(WalchNight Night, IReadOnlyList<ScoredEpoch> Epochs)> scored,
        Action<FoldResult>? progress = null, double needHours = NightMetrics.DefaultNeedHours)
    {
        var results = new List<FoldResult>();
        foreach (var held in scored)
        {
            var model = Fit(scored.Where(s => s.Night.Subject != held.Night.Subject).ToList(), needHours);
            var result = Evaluate(held.Night, held.Epochs, model, needHours);
            results.Add(result);
            progress?.Invoke(result);
        }

        return results;
    }

    /// <summary>Scores one night's PSG-labelled epochs with <paramref name="model"/> and compares with PSG.</summary>
    public static FoldResult Evaluate(WalchNight night, IReadOnlyList<ScoredEpoch> epochs, SleepModel model,
        double needHours = NightMetrics.DefaultNeedHours)
    {
        var labelled = night.Labelled(epochs).ToList();
        var truth = new List<ScoredEpoch>(labelled.Count);
        var decided = new List<ScoredEpoch>(labelled.Count);
        var bins = new ReliabilityBin[ReliabilityBin.Bins];
        var confusion = new Confusion();
        double squared = 0;
        foreach (var (sleep, e) in labelled)
        {
            truth.Add(e with { State = sleep ? EpochState.Sleep : EpochState.Wake, PSleep = sleep ? 1 : 0 });
            if (!e.InBed)
            {
                decided.Add(e);
                continue;
            }

            var p = model.PSleep(e.Features, e.ActivityCount);
            var asleep = p >= model.Threshold;
            decided.Add(e with { State = asleep ? EpochState.Sleep : EpochState.Wake, PSleep = p });
            confusion += new Confusion(sleep && asleep ? 1 : 0, sleep && !asleep ? 1 : 0, !sleep && !asleep ? 1 : 0, !sleep && asleep ? 1 : 0);
            squared += (p - (sleep ? 1 : 0)) * (p - (sleep ? 1 : 0));
            var bin = Math.Min(ReliabilityBin.Bins - 1, (int)(p * ReliabilityBin.Bins));
            bins[bin] += new ReliabilityBin(1, p, sleep ? 1 : 0);
        }

        // Unlabelled epochs are left out of both sides, so both nights are the same PSG-scored minutes.
        Renumber(truth);
        Renumber(decided);
        var scoredMetrics = NightMetrics.Compute(decided, needHours);
        var loss = AcuteSleepLoss.Assess(decided, nightFinished: true, options: AcuteSleepLossOptions.Default with { NeedHours = needHours },
            wholeNightSdMin: model.TstSdMin);
        return new FoldResult(night.Subject, confusion, labelled.Count, labelled.Count(l => l.Epoch.State == EpochState.NoSignal),
            confusion.Total == 0 ? double.NaN : squared / confusion.Total, bins, NightMetrics.Compute(truth, needHours), scoredMetrics,
            loss?.Reason == "debt" ? null : loss, model);
    }

    private static void Renumber(List<ScoredEpoch> epochs)
    {
        for (var i = 0; i < epochs.Count; i++)
        {
            epochs[i] = epochs[i] with { Index = i, StartSeconds = i * EpochScorer.EpochSeconds };
        }
    }

    public static Confusion Pool(IEnumerable<FoldResult> results) =>
        results.Aggregate(new Confusion(), (a, r) => a + r.Confusion);

    /// <summary>Share of a night's PSG-scored epochs that must have signal for its TST to be judged.</summary>
    public const double MinCoverage = 0.9;

    /// <summary>Nights whose TST can be judged: at least <see cref="MinCoverage"/> of their PSG-scored epochs have signal.</summary>
    public static IReadOnlyList<FoldResult> Covered(IEnumerable<FoldResult> results) =>
        results.Where(r => r.Coverage >= MinCoverage).ToList();

    public static double TstMae(IEnumerable<FoldResult> results) => results.Average(r => Math.Abs(r.TstErrorMin));

    public static double WasoMae(IEnumerable<FoldResult> results) => results.Average(r => Math.Abs(r.WasoErrorMin));
}

namespace Somnis.Hub.Detection;

/// <summary>
/// Logistic sleep/wake model over <see cref="EpochFeatures"/> plus the two guard rails that keep a learned model
/// honest: the clock can only add a little evidence for sleep, and a large movement is always wake.
/// </summary>
/// <param name="Intercept">Logit intercept.</param>
/// <param name="Weights">One weight per feature, in <see cref="EpochFeatures.ToArray"/> order.</param>
/// <param name="Threshold">Calibrated p(sleep) at or above which an epoch is sleep. Chosen on out-of-sample
/// predictions of the training nights (inner folds) for sensitivity <see cref="TargetSensitivity"/>: with ~90 % sleep
/// epochs, 0.5 would call nearly everything sleep.</param>
/// <param name="CalibrationSlope">Platt scaling of the logit, fitted on the training nights' out-of-sample logits: a
/// model fitted in sample is over-confident on a new sleeper, so p(sleep) = σ(slope × logit + offset).</param>
/// <param name="CalibrationOffset">See <paramref name="CalibrationSlope"/>.</param>
/// <param name="TstSdMin">Spread (SD, minutes) of the night's expected TST (Σ p(sleep)) around PSG TST over the
/// training nights' out-of-sample predictions: the uncertainty <c>acute-sleep-loss</c> judges a night with.</param>
internal sealed record SleepModel(double Intercept, IReadOnlyList<double> Weights, double Threshold,
    double CalibrationSlope = 1, double CalibrationOffset = 0, double TstSdMin = SleepModel.DefaultTstSdMin)
{
    /// <summary>TST uncertainty used when a model carries none (minutes, the order of the LOSO spread).</summary>
    public const double DefaultTstSdMin = 25;

    /// <summary>Sensitivity the threshold is set for on the training nights' out-of-sample predictions (margin above the
    /// 0.93 target; with ~10 % wake and specificity near 0.6, TST is unbiased near 0.96: (1 − sens)·sleep = (1 − spec)·wake).</summary>
    public const double TargetSensitivity = 0.96;

    /// <summary>Most the clock feature may add to the logit (≈ ×2.7 on the odds): a prior, never a verdict.</summary>
    public const double ClockMaxLogit = 1.0;

    /// <summary>Counts in one 30-s epoch that are wake whatever the model says (≈ the 99.9th percentile of 15-s counts ×2).</summary>
    public const double LargeMovementCount = 400;

    /// <summary>L2 penalty used when fitting.</summary>
    public const double Ridge = 1.0;

    /// <summary>
    /// Fit on all 16 development nights (walch2019-dev) by <see cref="Validation.Fit"/>: weights on all of them,
    /// calibration, threshold and TST uncertainty on their leave-one-out predictions. The test
    /// <c>Shipped_model_is_the_fit_on_all_nights</c> fails when these drift from a refit, and prints the values to paste here.
    /// </summary>
    public static SleepModel Default { get; } = new(
        Intercept: 5.482412590852015,
        Weights: [-0.41001453209990885, -0.6209228039744585, -0.783154602032374, -0.779010171592041, -0.3848037922906433, 1],
        Threshold: 0.752477483719511,
        CalibrationSlope: 0.9789636153100632,
        CalibrationOffset: 0.05461388290972955,
        TstSdMin: 20.58108761419732);

    /// <summary>Calibrated p(sleep) for an in-bed epoch whose activity count (null: unknown) and features are given.</summary>
    public double PSleep(in EpochFeatures f, double? activityCount) =>
        activityCount >= LargeMovementCount ? 0 : 1 / (1 + Math.Exp(-(CalibrationSlope * Logit(f) + CalibrationOffset)));

    /// <summary>The fitted (uncalibrated) logit, with the clock's guard rail.</summary>
    public double Logit(in EpochFeatures f)
    {
        var x = f.ToArray();
        var logit = Intercept;
        for (var i = 0; i < x.Length; i++)
        {
            var term = Weights[i] * x[i];
            // The clock (last feature) is a prior on time since lights-off: it may only push towards sleep, a little.
            logit += i == x.Length - 1 ? Math.Clamp(term, 0, ClockMaxLogit) : term;
        }

        return logit;
    }

    /// <summary>Builds a model from a fitted vector (intercept first) and a decision threshold.</summary>
    public static SleepModel FromVector(double[] beta, double threshold) =>
        new(beta[0], beta[1..], threshold);

    /// <summary>
    /// Threshold giving <paramref name="targetSensitivity"/> over the given sleep epochs' probabilities: the
    /// (1 − target) quantile of p(sleep) among true sleep epochs.
    /// </summary>
    public static double ThresholdForSensitivity(IReadOnlyList<double> pOfSleepEpochs, double targetSensitivity)
    {
        var sorted = pOfSleepEpochs.Order().ToArray();
        var k = (int)Math.Floor((1 - targetSensitivity) * sorted.Length);
        return sorted.Length == 0 ? 0.5 : sorted[Math.Clamp(k, 0, sorted.Length - 1)];
    }
}

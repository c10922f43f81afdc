namespace Somnis.Hub.Detection;

/// <summary>
/// Logistic sleep/wake model over <see cref="EpochFeatures"/> plus the two guard rails that keep a learned model
/// honest: the clock can only add a little evidence for sleep, and a large movement is always wake.
/// </summary>
/// <param name="Intercept">Logit intercept.</param>
/// <param name="Weights">One weight per feature, in <see cref="EpochFeatures.ToArray"/> order.</param>
/// <param name="Threshold">p(sleep) at or above which an epoch is sleep. Chosen on the training nights for
/// sensitivity <see cref="TargetSensitivity"/>: with ~90 % sleep epochs, 0.5 would call nearly everything sleep.</param>
internal sealed record SleepModel(double Intercept, IReadOnlyList<double> Weights, double Threshold)
{
    /// <summary>Sensitivity the threshold is set for on the training nights (margin above the 0.93 target).</summary>
    public const double TargetSensitivity = 0.96;

    /// <summary>Most the clock feature may add to the logit (≈ ×2.7 on the odds): a prior, never a verdict.</summary>
    public const double ClockMaxLogit = 1.0;

    /// <summary>Counts in one 30-s epoch that are wake whatever the model says (≈ the 99.9th percentile of 15-s counts ×2).</summary>
    public const double LargeMovementCount = 400;

    /// <summary>L2 penalty used when fitting.</summary>
    public const double Ridge = 1.0;

    /// <summary>
    /// Fit on all 16 development nights (walch2019-dev) by <c>SleepModelFitTests</c>; that test fails when these drift
    /// from a refit, and prints the values to paste here.
    /// </summary>
    public static SleepModel Default { get; } = new(
        Intercept: 3.644264294803389,
        Weights: [-0.3946785882616914, -0.38076249712331833, -0.49493167229559126, -0.8503665202009424, 0.0465277894528328, 1],
        Threshold: 0.7553830772750255);

    /// <summary>p(sleep) for an in-bed epoch whose activity count (null: unknown) and features are given.</summary>
    public double PSleep(in EpochFeatures f, double? activityCount)
    {
        if (activityCount >= LargeMovementCount)
        {
            return 0;
        }

        var x = f.ToArray();
        var logit = Intercept;
        for (var i = 0; i < x.Length; i++)
        {
            var term = Weights[i] * x[i];
            // The clock (last feature) is a prior on time since lights-off: it may only push towards sleep, a little.
            logit += i == x.Length - 1 ? Math.Clamp(term, 0, ClockMaxLogit) : term;
        }

        return 1 / (1 + Math.Exp(-logit));
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

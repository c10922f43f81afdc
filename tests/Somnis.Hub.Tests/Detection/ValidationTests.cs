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

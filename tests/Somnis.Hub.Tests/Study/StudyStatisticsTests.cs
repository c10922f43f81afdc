using Somnis.Hub.Study;

namespace Somnis.Hub.Tests.Study;

/// <summary>The study's statistics against small examples computed by hand (the computation is in the comments).</summary>
public sealed class StudyStatisticsTests
{
    [Theory]
    // Two-sided 95 % critical values of Student's t, from any printed table.
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(3, 3.1824)]
    [InlineData(4, 2.7764)]
    [InlineData(5, 2.5706)]
    [InlineData(10, 2.2281)]
    [InlineData(30, 2.0423)]
    [InlineData(120, 1.9799)]
    public void T_quantile_matches_the_table(double df, double expected) =>
        Assert.Equal(expected, StudyStatistics.TQuantile(0.975, df), 4);

    [Fact]
    public void T_quantile_is_symmetric_monotone_in_df_and_tends_to_the_normal()
    {
        Assert.Equal(-StudyStatistics.TQuantile(0.975, 7), StudyStatistics.TQuantile(0.025, 7), 10);
        // A fractional df (Welch) lies between its neighbours.
        var t = StudyStatistics.TQuantile(0.975, 2.5);
        Assert.InRange(t, StudyStatistics.TQuantile(0.975, 3), StudyStatistics.TQuantile(0.975, 2));
        Assert.Equal(1.95996, StudyStatistics.TQuantile(0.975, 1e6), 4);
        Assert.Equal(0.5, StudyStatistics.TCdf(0, 3), 12);
    }

    [Fact]
    public void Log_gamma_and_the_incomplete_beta_match_closed_forms()
    {
        // Γ(5) = 4! = 24, Γ(½) = √π.
        Assert.Equal(Math.Log(24), StudyStatistics.LogGamma(5), 12);
        Assert.Equal(Math.Log(Math.Sqrt(Math.PI)), StudyStatistics.LogGamma(0.5), 12);
        // I_x(1, 1) = x; I_x(2, 1) = x².
        Assert.Equal(0.3, StudyStatistics.RegularizedBeta(0.3, 1, 1), 12);
        Assert.Equal(0.49, StudyStatistics.RegularizedBeta(0.7, 2, 1), 12);
    }

    [Fact]
    public void Paired_interval_and_d_z_on_four_sleepers()
    {
        // Per-sleeper differences of TST (Architect − natural), minutes: −40, −50, −60, −30.
        // mean = −180 / 4 = −45
        // deviations 5, −5, −15, 15 → squares 25 + 25 + 225 + 225 = 500 → variance 500 / 3 = 166.667 → SD = 12.9099
        // SE = 12.9099 / √4 = 6.4550; t(0.975, 3) = 3.18245 → half width = 20.5426
        // 95 % CI = [−65.543, −24.457]; d_z = −45 / 12.9099 = −3.4857
        var e = StudyStatistics.Paired([-40, -50, -60, -30]);
        Assert.Equal(-45, e.Diff, 9);
        Assert.Equal(-65.543, e.Low!.Value, 3);
        Assert.Equal(-24.457, e.High!.Value, 3);
        Assert.Equal(3, e.Df);
        Assert.Equal(-3.4857, e.EffectSize!.Value, 4);
    }

    [Fact]
    public void Paired_with_one_sleeper_or_no_spread_has_no_interval_or_no_effect_size()
    {
        var one = StudyStatistics.Paired([-30]);
        Assert.Equal(-30, one.Diff);
        Assert.Null(one.Low);
        Assert.Null(one.EffectSize);

        // All differences equal: the interval is the point itself and d_z is undefined (SD 0).
        var same = StudyStatistics.Paired([-10, -10, -10]);
        Assert.Equal(-10, same.Low!.Value, 9);
        Assert.Equal(-10, same.High!.Value, 9);
        Assert.Null(same.EffectSize);
    }

    [Fact]
    public void Welch_interval_on_two_cohorts_of_three()
    {
        // Companions per-sleeper mean TST 420, 440, 460: mean 440, variance (400 + 0 + 400) / 2 = 400
        // Architect users 380, 400, 420:                   mean 400, variance 400
        // diff = 440 − 400 = 40; SE = √(400/3 + 400/3) = √266.667 = 16.3299
        // df = (133.33 + 133.33)² / (133.33² / 2 + 133.33² / 2) = 4 (equal variances and sizes: 2(n − 1))
        // t(0.975, 4) = 2.77645 → half width 45.339 → 95 % CI [−5.339, 85.339]
        // Cohen's d = 40 / √((400 + 400) / 2) = 40 / 20 = 2
        var e = StudyStatistics.Welch([420, 440, 460], [380, 400, 420]);
        Assert.Equal(40, e.Diff, 9);
        Assert.Equal(4, e.Df!.Value, 9);
        Assert.Equal(-5.339, e.Low!.Value, 3);
        Assert.Equal(85.339, e.High!.Value, 3);
        Assert.Equal(2, e.EffectSize!.Value, 9);
    }

    [Fact]
    public void Welch_with_unequal_variances_uses_fewer_degrees_of_freedom()
    {
        // a: 10, 20, 30 (variance 100, /3 = 33.33); b: 10, 12 (variance 2, /2 = 1)
        // df = (34.33)² / (33.33² / 2 + 1² / 1) = 1178.8 / 556.6 = 2.118
        var e = StudyStatistics.Welch([10, 20, 30], [10, 12]);
        Assert.Equal(9, e.Diff, 9);
        Assert.Equal(2.118, e.Df!.Value, 3);
        Assert.Null(StudyStatistics.Welch([10], [10, 12]).Low);
    }

    [Fact]
    public void Variance_needs_two_values() => Assert.Null(StudyStatistics.Variance([3]));
}

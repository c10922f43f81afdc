namespace Somnis.Hub.Study;

/// <summary>A mean difference with its 95 % interval. <see cref="Low"/>, <see cref="High"/> and <see cref="EffectSize"/>
/// are null where they are undefined (too few sleepers, no spread).</summary>
/// <param name="Df">Degrees of freedom of the t interval.</param>
internal sealed record Estimate(double Diff, double? Low, double? High, double? Df, double? EffectSize);

/// <summary>
/// The study's statistics as pure functions (method and references in docs/study.md). Sleepers are the unit: every
/// input list holds one value per sleeper (their mean, or their difference of means), never one per night.
/// </summary>
internal static class StudyStatistics
{
    private const double Tiny = 1e-300;

    public static double Mean(IReadOnlyList<double> x)
    {
        ArgumentOutOfRangeException.ThrowIfZero(x.Count);
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += v;
        }

        return sum / x.Count;
    }

    /// <summary>Sample variance (n − 1); null for fewer than two values.</summary>
    public static double? Variance(IReadOnlyList<double> x)
    {
        if (x.Count < 2)
        {
            return null;
        }

        var mean = Mean(x);
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += (v - mean) * (v - mean);
        }

        return sum / (x.Count - 1);
    }

    /// <summary>
    /// Paired comparison over per-sleeper differences d: mean of d with the t interval mean ± t(0.975, n − 1) · SD/√n,
    /// and Cohen's d_z = mean / SD. One sleeper gives the mean alone.
    /// </summary>
    public static Estimate Paired(IReadOnlyList<double> differences)
    {
        var n = differences.Count;
        var mean = Mean(differences);
        if (Variance(differences) is not { } variance)
        {
            return new Estimate(mean, null, null, null, null);
        }

        var sd = Math.Sqrt(variance);
        var half = TQuantile(0.975, n - 1) * sd / Math.Sqrt(n);
        return new Estimate(mean, mean - half, mean + half, n - 1, sd > 0 ? mean / sd : null);
    }

    /// <summary>
    /// Two independent groups (per-sleeper means): mean(a) − mean(b) with Welch's interval: SE = √(s²a/na + s²b/nb),
    /// df by Welch–Satterthwaite, and Cohen's d on the average variance, (mean a − mean b) / √((s²a + s²b) / 2).
    /// Needs two sleepers in each group for an interval.
    /// </summary>
    public static Estimate Welch(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var diff = Mean(a) - Mean(b);
        if (Variance(a) is not { } va || Variance(b) is not { } vb)
        {
            return new Estimate(diff, null, null, null, null);
        }

        var (qa, qb) = (va / a.Count, vb / b.Count);
        var se = Math.Sqrt(qa + qb);
        var spread = Math.Sqrt((va + vb) / 2);
        if (se == 0)
        {
            return new Estimate(diff, diff, diff, null, null);
        }

        var df = (qa + qb) * (qa + qb) / ((qa * qa / (a.Count - 1)) + (qb * qb / (b.Count - 1)));
        var half = TQuantile(0.975, df) * se;
        return new Estimate(diff, diff - half, diff + half, df, spread > 0 ? diff / spread : null);
    }

    /// <summary>Quantile of Student's t distribution with <paramref name="df"/> (> 0, need not be whole) degrees of freedom.</summary>
    public static double TQuantile(double p, double df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(p, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(df, 0);
        if (p < 0.5)
        {
            return -TQuantile(1 - p, df);
        }

        // Bisection on the distribution function: monotone, and 200 halvings of [0, hi] are far below double precision.
        var (lo, hi) = (0.0, 1.0);
        while (TCdf(hi, df) < p)
        {
            hi *= 2;
        }

        for (var i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = TCdf(mid, df) < p ? (mid, hi) : (lo, mid);
        }

        return (lo + hi) / 2;
    }

    /// <summary>Distribution function of Student's t: P(T ≤ t) = 1 − ½ I_x(df/2, ½) for t ≥ 0, x = df / (df + t²).</summary>
    public static double TCdf(double t, double df)
    {
        var tail = 0.5 * RegularizedBeta(df / (df + (t * t)), df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's method), evaluated
    /// on the side of x where it converges fast.</summary>
    internal static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        if (x > (a + 1) / (a + b + 2))
        {
            return 1 - RegularizedBeta(1 - x, b, a);
        }

        var front = Math.Exp((a * Math.Log(x)) + (b * Math.Log(1 - x)) - LogBeta(a, b)) / a;
        return front * BetaFraction(x, a, b);
    }

    private static double BetaFraction(double x, double a, double b)
    {
        var c = 1.0;
        var d = NonZero(1 - ((a + b) * x / (a + 1)));
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 500; m++)
        {
            // Even step d_2m = m(b − m)x / ((a + 2m − 1)(a + 2m)), then odd step d_2m+1 = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
            var even = m * (b - m) * x / ((a + (2 * m) - 1) * (a + (2 * m)));
            d = 1 / NonZero(1 + (even * d));
            c = NonZero(1 + (even / c));
            h *= d * c;
            var odd = -(a + m) * (a + b + m) * x / ((a + (2 * m)) * (a + (2 * m) + 1));
            d = 1 / NonZero(1 + (odd * d));
            c = NonZero(1 + (odd / c));
            var step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15)
            {
                break;
            }
        }

        return h;

        static double NonZero(double v) => Math.Abs(v) < Tiny ? Tiny : v;
    }

    private static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>ln Γ(x) for x &gt; 0 by the Lanczos approximation (g = 7, nine terms; relative error about 1e-15).</summary>
    internal static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = c[0];
        for (var i = 1; i < c.Length; i++)
        {
            sum += c[i] / (x + i);
        }

        var t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }
}

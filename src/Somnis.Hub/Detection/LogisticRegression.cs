namespace Somnis.Hub.Detection;

/// <summary>
/// Ridge-penalised logistic regression fitted by Newton–Raphson. Small on purpose: a handful of features and
/// ~15 000 epochs converge in under ten iterations, so no package is needed.
/// </summary>
internal static class LogisticRegression
{
    /// <summary>Fits p(y) = σ(β₀ + Σ βᵢxᵢ + offset); returns β with the intercept first. The intercept is not
    /// penalised. <paramref name="offset"/> (per row, may be null) is a fixed logit term that is not fitted.</summary>
    public static double[] Fit(IReadOnlyList<double[]> x, IReadOnlyList<bool> y, double ridge,
        IReadOnlyList<double>? offset = null, int maxIterations = 50)
    {
        ArgumentOutOfRangeException.ThrowIfZero(x.Count);
        var d = x[0].Length + 1;
        var beta = new double[d];
        var row = new double[d];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var gradient = new double[d];
            var hessian = new double[d, d];
            for (var n = 0; n < x.Count; n++)
            {
                row[0] = 1;
                Array.Copy(x[n], 0, row, 1, d - 1);
                var z = offset?[n] ?? 0.0;
                for (var i = 0; i < d; i++)
                {
                    z += beta[i] * row[i];
                }

                var p = 1 / (1 + Math.Exp(-z));
                var r = (y[n] ? 1 : 0) - p;
                var w = Math.Max(p * (1 - p), 1e-9);
                for (var i = 0; i < d; i++)
                {
                    gradient[i] += r * row[i];
                    for (var j = 0; j <= i; j++)
                    {
                        hessian[i, j] += w * row[i] * row[j];
                    }
                }
            }

            for (var i = 1; i < d; i++)
            {
                gradient[i] -= ridge * beta[i];
                hessian[i, i] += ridge;
            }

            for (var i = 0; i < d; i++)
            {
                for (var j = i + 1; j < d; j++)
                {
                    hessian[i, j] = hessian[j, i];
                }
            }

            var step = Solve(hessian, gradient);
            var change = 0.0;
            for (var i = 0; i < d; i++)
            {
                beta[i] += step[i];
                change = Math.Max(change, Math.Abs(step[i]));
            }

            if (change < 1e-8)
            {
                break;
            }
        }

        return beta;
    }

    /// <summary>Gaussian elimination with partial pivoting; the Hessian is small and positive definite.</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < n; r++)
            {
                if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c]))
                {
                    pivot = r;
                }
            }

            for (var k = 0; k < n; k++)
            {
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            }

            (v[c], v[pivot]) = (v[pivot], v[c]);
            for (var r = c + 1; r < n; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < n; k++)
                {
                    m[r, k] -= f * m[c, k];
                }

                v[r] -= f * v[c];
            }
        }

        var xs = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = v[r];
            for (var k = r + 1; k < n; k++)
            {
                s -= m[r, k] * xs[k];
            }

            xs[r] = s / m[r, r];
        }

        return xs;
    }
}

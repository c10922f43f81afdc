namespace Somnis.Edge.Sensors.Processing;

/// <summary>A second-order IIR section (RBJ audio-EQ cookbook), direct form I. Cascade two for a 4th-order filter.</summary>
internal sealed class Biquad
{
    private readonly double _b0;
    private readonly double _b1;
    private readonly double _b2;
    private readonly double _a1;
    private readonly double _a2;
    private double _x1;
    private double _x2;
    private double _y1;
    private double _y2;

    private Biquad(double b0, double b1, double b2, double a0, double a1, double a2)
    {
        _b0 = b0 / a0;
        _b1 = b1 / a0;
        _b2 = b2 / a0;
        _a1 = a1 / a0;
        _a2 = a2 / a0;
    }

    /// <summary>Butterworth-style low-pass (Q = 1/√2) at <paramref name="cutoff"/> Hz.</summary>
    public static Biquad LowPass(double sampleRate, double cutoff, double q = 0.7071)
    {
        var (cos, alpha) = Prewarp(sampleRate, cutoff, q);
        return new Biquad((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }

    /// <summary>Butterworth-style high-pass (Q = 1/√2) at <paramref name="cutoff"/> Hz.</summary>
    public static Biquad HighPass(double sampleRate, double cutoff, double q = 0.7071)
    {
        var (cos, alpha) = Prewarp(sampleRate, cutoff, q);
        return new Biquad((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }

    public double Process(double x)
    {
        var y = (_b0 * x) + (_b1 * _x1) + (_b2 * _x2) - (_a1 * _y1) - (_a2 * _y2);
        _x2 = _x1;
        _x1 = x;
        _y2 = _y1;
        _y1 = y;
        return y;
    }

    /// <summary>Sets the filter to its steady state for a constant input <paramref name="x"/> (avoids a start-up step).</summary>
    public double Prime(double x)
    {
        var dc = (_b0 + _b1 + _b2) / (1 + _a1 + _a2);
        _x1 = _x2 = x;
        _y1 = _y2 = x * dc;
        return _y1;
    }

    private static (double Cos, double Alpha) Prewarp(double sampleRate, double cutoff, double q)
    {
        var w = 2 * Math.PI * cutoff / sampleRate;
        return (Math.Cos(w), Math.Sin(w) / (2 * q));
    }
}

/// <summary>A chain of biquads applied in order.</summary>
internal sealed class FilterChain(params Biquad[] sections)
{
    public double Process(double x)
    {
        foreach (var s in sections)
        {
            x = s.Process(x);
        }

        return x;
    }

    public void Prime(double x)
    {
        foreach (var s in sections)
        {
            x = s.Prime(x);
        }
    }
}

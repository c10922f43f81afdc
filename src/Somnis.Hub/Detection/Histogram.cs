namespace Somnis.Hub.Detection;

/// <summary>Fixed-bin histogram: O(1) insert and exact-to-a-bin quantiles over a whole night.</summary>
internal sealed class Histogram(double min, double max, double bin)
{
    private readonly int[] _bins = new int[(int)Math.Ceiling((max - min) / bin) + 1];

    public int Count { get; private set; }

    public void Add(double value)
    {
        var i = (int)Math.Round((Math.Clamp(value, min, max) - min) / bin);
        _bins[i]++;
        Count++;
    }

    public double Quantile(double q)
    {
        var target = q * (Count - 1);
        var seen = 0;
        for (var i = 0; i < _bins.Length; i++)
        {
            seen += _bins[i];
            if (seen > target)
            {
                return min + i * bin;
            }
        }

        return max;
    }
}

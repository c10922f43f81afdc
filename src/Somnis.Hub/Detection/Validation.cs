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


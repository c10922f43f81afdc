using System.Globalization;

namespace Somnis.Hub.Study;

/// <summary>What the study reads of one finished, assigned night (docs/study.md, "Definitions"). Metrics are null where a
/// night leaves them undefined (no sleep: no onset latency, no sleeping heart rate).</summary>
/// <param name="FirstNight">The sleeper's first night of record (first-night effect).</param>
internal sealed record StudyNight(
    string SleeperId,
    string Facility,
    DateOnly NightDate,
    Sleepers.SleepProgram Program,
    bool FirstNight,
    double StimulatedMin,
    double? TstMin,
    double? SleepEfficiency,
    double? SolMin,
    double? WasoMin,
    double? Awakenings,
    double? ArousalIndex,
    double? SleepingHr,
    double? HrDip);

/// <summary>Which nights the study reads: night dates [<see cref="From"/>, <see cref="To"/>] (inclusive), and optionally one
/// facility, one program (of the night) and one sleeper.</summary>
internal sealed record StudyQuery(DateOnly From, DateOnly To, string? Facility = null, Sleepers.SleepProgram? Program = null, string? SleeperId = null);

/// <summary>
/// One metric of the study: its key in the API, how to read it from a night, and how to say a difference in words.
/// <see cref="Scale"/> turns the stored unit into the spoken one (ratios 0–1 are spoken as percentage points).
/// </summary>
internal sealed record StudyMetric(
    string Key,
    string Name,
    Func<StudyNight, double?> Read,
    double Scale,
    string Unit,
    int Decimals,
    string More,
    string Less,
    string MoreWord,
    string LessWord)
{
    /// <summary>Every metric, in the order of the API, the CSV and the sentences.</summary>
    public static readonly IReadOnlyList<StudyMetric> All =
    [
        new("tstMin", "total sleep time", n => n.TstMin, 1, "min", 0, "slept {0} more", "slept {0} less", "more", "less"),
        new("sleepEfficiency", "sleep efficiency", n => n.SleepEfficiency, 100, "points", 1,
            "had a sleep efficiency {0} higher", "had a sleep efficiency {0} lower", "higher", "lower"),
        new("solMin", "sleep-onset latency", n => n.SolMin, 1, "min", 0, "took {0} longer to fall asleep", "fell asleep {0} sooner", "longer", "shorter"),
        new("wasoMin", "wake after sleep onset", n => n.WasoMin, 1, "min", 0,
            "lay awake {0} more after falling asleep", "lay awake {0} less after falling asleep", "more", "less"),
        new("awakenings", "awakenings", n => n.Awakenings, 1, "", 1, "woke {0} more times", "woke {0} fewer times", "more", "fewer"),
        new("arousalIndex", "arousal index", n => n.ArousalIndex, 1, "per hour", 1,
            "had {0} more awakenings per hour of sleep", "had {0} fewer awakenings per hour of sleep", "more", "fewer"),
        new("sleepingHr", "sleeping heart rate", n => n.SleepingHr, 1, "bpm", 1,
            "had a sleeping heart rate {0} higher", "had a sleeping heart rate {0} lower", "higher", "lower"),
        new("hrDip", "night-time heart-rate dip", n => n.HrDip, 100, "points", 1,
            "had a heart-rate dip {0} larger", "had a heart-rate dip {0} smaller", "larger", "smaller"),
        new("stimulatedMin", "time stimulated", n => n.StimulatedMin, 1, "min", 0, "were stimulated {0} more", "were stimulated {0} less", "more", "less"),
    ];

    /// <summary>A magnitude in the spoken unit, e.g. <c>47 min</c>, <c>3.5 points</c>, <c>2.1</c>.</summary>
    public string Amount(double value)
    {
        var number = Math.Abs(value * Scale).ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return Unit.Length == 0 ? number : $"{number} {Unit}";
    }

    /// <summary>"slept 47 min less" for −47; "showed no difference in total sleep time" when it rounds to zero.</summary>
    public string Phrase(double diff) => Rounds(diff) == 0
        ? $"showed no difference in {Name}"
        : string.Format(CultureInfo.InvariantCulture, diff > 0 ? More : Less, Amount(diff));

    /// <summary>An interval in the direction of the difference: <c>38–56 min</c> for [−56, −38] around −47; across zero,
    /// <c>5 min less to 20 min more</c>.</summary>
    public string Interval(double low, double high)
    {
        if (Rounds(low) >= 0 || Rounds(high) <= 0)
        {
            var (a, b) = Math.Abs(low) <= Math.Abs(high) ? (low, high) : (high, low);
            var first = Math.Abs(a * Scale).ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            return $"{first}–{Amount(b)}";
        }

        return $"{Amount(low)} {LessWord} to {Amount(high)} {MoreWord}";
    }

    private double Rounds(double v) => Math.Round(v * Scale, Decimals);
}

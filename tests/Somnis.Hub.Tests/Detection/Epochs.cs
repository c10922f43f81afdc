using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

/// <summary>Builds scored-epoch sequences from a compact pattern: one character per 30-s epoch.</summary>
internal static class Epochs
{
    public static readonly DateTimeOffset LightsOff = new(2025, 3, 1, 22, 0, 0, TimeSpan.Zero);

    /// <param name="pattern">'S' sleep, 'W' wake, 'O' out of bed.</param>
    /// <param name="hr">Heart rate for epoch i and its state.</param>
    /// <param name="stimulating">Whether epoch i is stimulated.</param>
    public static List<ScoredEpoch> From(string pattern, Func<int, char, double?>? hr = null, Func<int, bool>? stimulating = null) =>
        pattern.Select((c, i) => new ScoredEpoch(
            i,
            LightsOff.AddSeconds(i * 30),
            i * 30,
            c switch { 'S' => EpochState.Sleep, 'W' => EpochState.Wake, _ => EpochState.OutOfBed },
            c == 'S' ? 1.0 : 0.0,
            0,
            hr?.Invoke(i, c),
            c != 'O',
            stimulating?.Invoke(i) ?? false,
            default)).ToList();

    public static string Repeat(char c, TimeSpan t) => new(c, (int)(t.TotalSeconds / 30));
}

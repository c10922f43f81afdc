using System.Globalization;

namespace Somnis.Edge.Publishing;

/// <summary>
/// What a journal's <c>state</c> file holds, one line <c>v1 ackedBelow nextIndex lastSeq lastEventTsMs dropped</c>:
/// records below <see cref="AckedBelow"/> were delivered, <see cref="LastSeq"/> is the highest sequence number ever
/// assigned (so no number is reused even after its records are gone), and the drop count carries over.
/// </summary>
internal readonly record struct JournalState(long AckedBelow, long NextIndex, long LastSeq, DateTimeOffset? LastEventTs, long Dropped)
{
    /// <summary>No state file, or an unreadable one: everything on disk is replayed (at worst duplicates) and the
    /// sequence numbers come from the records.</summary>
    public static readonly JournalState Empty = new(0, 1, 0, null, 0);

    public string Format() => string.Create(
        CultureInfo.InvariantCulture,
        $"v1 {AckedBelow} {NextIndex} {LastSeq} {LastEventTs?.ToUnixTimeMilliseconds() ?? 0} {Dropped}");

    public static JournalState Parse(string text)
    {
        var parts = text.Split(' ');
        if (parts.Length == 6 && parts[0] == "v1"
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var acked)
            && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var next)
            && long.TryParse(parts[3], CultureInfo.InvariantCulture, out var seq)
            && long.TryParse(parts[4], CultureInfo.InvariantCulture, out var ts)
            && long.TryParse(parts[5], CultureInfo.InvariantCulture, out var dropped))
        {
            return new(acked, next, seq, ts == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(ts), dropped);
        }

        return Empty;
    }
}

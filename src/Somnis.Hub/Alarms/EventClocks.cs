using System.Collections.Concurrent;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The newest event time (device time) of each bed and of each facility: the clocks the event-time delays run on
/// (docs/alarms.md, "Which clock"). Advanced by the ingestion threads without a lock (<see cref="EventTimeMark"/>): every
/// message of a facility advances the same facility clock, and <c>ConcurrentDictionary.AddOrUpdate</c> takes that key's
/// bucket lock, where the ingestion threads spun (docs/performance.md, "What was changed", event clocks).
/// </summary>
internal sealed class EventClocks
{
    private readonly ConcurrentDictionary<(string Facility, string Bed), EventTimeMark> _beds = new();
    private readonly ConcurrentDictionary<string, EventTimeMark> _facilities = new();

    /// <summary>Moves the bed's and its facility's clocks to <paramref name="time"/> if that is later; returns both after the move.</summary>
    public (DateTimeOffset Bed, DateTimeOffset Facility) Advance(string facility, string bed, DateTimeOffset time) =>
        (_beds.GetOrAdd((facility, bed), static _ => new EventTimeMark()).Advance(time),
         _facilities.GetOrAdd(facility, static _ => new EventTimeMark()).Advance(time));

    /// <summary>Newest event time seen from a bed (or, with <paramref name="bed"/> null, from any bed of the facility); null before any.</summary>
    public DateTimeOffset? Of(string facility, string? bed) =>
        bed is null ? (_facilities.TryGetValue(facility, out var f) ? f.Value : null) : (_beds.TryGetValue((facility, bed), out var b) ? b.Value : null);
}

using System.Text.Json;

namespace Somnis.Hub.Alarms;

/// <summary>One observation of an alarm condition. <see cref="Now"/> is on the type's clock (<see cref="AlarmTypes.ClockOf"/>).</summary>
/// <param name="Holds">The condition is true now (before any on/off-delay).</param>
/// <param name="EventTime">Device time of the data behind it.</param>
/// <param name="Evidence">Only while it holds (<see cref="AlarmEvidence"/>).</param>
/// <param name="Beds">For a facility incident: the beds involved.</param>
/// <param name="Seq">Sequence number of the bed's data message behind it (becomes <see cref="Alarm.TriggerSeq"/>).</param>
internal sealed record ConditionInput(
    string Type,
    string Facility,
    string? Bed,
    bool Holds,
    DateTimeOffset Now,
    DateTimeOffset EventTime,
    string Summary,
    JsonElement? Evidence,
    IReadOnlyList<string>? Beds = null,
    DateTimeOffset? IncidentStart = null,
    long? Seq = null);

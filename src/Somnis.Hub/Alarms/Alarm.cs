using System.Text.Json;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Alarms;

/// <summary>
/// One alarm: a type on a bed (or a facility), from the moment it is raised until it returns to normal. Immutable: every
/// change is a new copy (a <c>with</c> expression), stored before it replaces the old one. The API, live feed, MQTT topic,
/// webhook and the store's JSON all show this shape: its properties are declared in the order they are serialised, and
/// none may be renamed, removed or reordered without breaking stored alarms and clients (AlarmTests holds the shape).
/// A new alarm sets only what it has (<see cref="AlarmEngine"/> raising it); everything else starts at its default
/// (not acknowledged, not shelved, no escalation).
/// </summary>
public sealed record Alarm
{
    /// <summary>Stable id (also the MQTT topic level).</summary>
    public required string Id { get; init; }

    public required string Facility { get; init; }

    /// <summary>The bed, or null for a facility alarm.</summary>
    public string? Bed { get; init; }

    public required string Type { get; init; }

    /// <summary><c>high</c>, <c>medium</c> or <c>low</c>.</summary>
    public required string Priority { get; init; }

    /// <summary><c>clinical</c> or <c>technical</c>.</summary>
    public required string Class { get; init; }

    public bool Latching { get; init; }

    /// <summary>The condition holds (after on/off-delays).</summary>
    public bool Active { get; init; }

    public bool Acknowledged { get; init; }

    /// <summary>Returned to normal: the record is history.</summary>
    public bool Closed { get; init; }

    /// <summary>Hub time it was first raised.</summary>
    public DateTimeOffset RaisedAt { get; init; }

    /// <summary>Event time it was first raised (device time; for hub-clock types the facility's newest event time).</summary>
    public DateTimeOffset RaisedEventTime { get; init; }

    /// <summary>Hub time of the latest annunciation (raise, re-raise, re-alarm, unsuppress, unshelve); escalation counts from it.</summary>
    public DateTimeOffset AnnouncedAt { get; init; }

    /// <summary>Event time of the newest evidence.</summary>
    public DateTimeOffset LastEventTime { get; init; }

    /// <summary>Hub time the condition last cleared.</summary>
    public DateTimeOffset? ClearedAt { get; init; }

    public string? AckedBy { get; init; }

    /// <summary>Hub time of the acknowledgement; re-alarm counts from it.</summary>
    public DateTimeOffset? AckedAt { get; init; }

    public string? AckComment { get; init; }

    public DateTimeOffset? ShelvedUntil { get; init; }

    public string? ShelvedBy { get; init; }

    public string? ShelveReason { get; init; }

    /// <summary>Suppressed by design (docs/alarms.md): not annunciated, not escalated, not counted.</summary>
    public bool Suppressed { get; init; }

    /// <summary>The facility incident this alarm is grouped under.</summary>
    public string? ParentId { get; init; }

    public string? AssignedTo { get; init; }

    /// <summary>How often the condition became active within this alarm.</summary>
    public int Occurrences { get; init; }

    /// <summary>Raised at least ChatterCount times within ChatterWindow.</summary>
    public bool Chattering { get; init; }

    /// <summary>0 none, 1 re-notified, 2 escalated to supervisors (the step of the ladder already notified).</summary>
    public int Escalation { get; init; }

    public required string Summary { get; init; }

    /// <summary>The numbers behind it (the detection evidence record, or the technical condition; <see cref="AlarmEvidence"/>).</summary>
    public JsonElement? Evidence { get; init; }

    /// <summary>For a facility incident: the beds involved.</summary>
    public IReadOnlyList<string>? Beds { get; init; }

    /// <summary>The ISA-18.2 state shown to people (docs/alarms.md, "States").</summary>
    public string State => Closed ? AlarmStates.Cleared
        : ShelvedUntil is not null ? AlarmStates.Shelved
        : Suppressed ? AlarmStates.Suppressed
        : Active ? (Acknowledged ? AlarmStates.ActiveAcknowledged : AlarmStates.ActiveUnacknowledged)
        : AlarmStates.ClearedUnacknowledged;

    /// <summary>
    /// Sequence number of the bed's data message whose processing raised (or last re-raised) the alarm; null when the hub's
    /// clock raised it (offline, stale). Links an alarm to the exact sample behind it, and lets a client measure the time
    /// from that sample's publish to the alarm's arrival (bench/; docs/performance.md, "Method", alarm latency).
    /// </summary>
    public long? TriggerSeq { get; init; }

    /// <summary>
    /// The sleeper admitted to the bed when the alarm was raised (at its device time), so notifications name them; null for a
    /// facility alarm, a bed nobody was admitted to, and alarms stored before sleepers were recorded.
    /// </summary>
    public SleeperRef? Sleeper { get; init; }

    /// <summary>Shown and counted on its own (not grouped under an incident, not suppressed, not shelved).</summary>
    public bool Annunciated => !Closed && ParentId is null && !Suppressed && ShelvedUntil is null;

    /// <summary>
    /// Calls for the audible signal (IEC 60601-1-8) and for escalation: high priority, annunciated, active and
    /// unacknowledged. Sent with the alarm so a dashboard sounds exactly what the hub escalates, without its own rule.
    /// </summary>
    public bool Sounding => Priority == AlarmPriorities.High && Active && !Acknowledged && Annunciated;

    /// <summary>Display order of the priority (high 3, medium 2, low 1): lists and tiles show the highest first.</summary>
    public int Rank => AlarmPriorities.Rank(Priority);

    /// <summary>Only a supervisor may shelve or unshelve it (high priority); the dashboard offers the control accordingly.</summary>
    public bool ShelvingNeedsSupervisor => Priority == AlarmPriorities.High;

    /// <summary>Where the engine keeps it: at most one open alarm per facility, bed ("" for a facility alarm) and type.</summary>
    internal AlarmKey Key => new(Facility, Bed ?? "", Type);
}

/// <summary>One open alarm's place: facility, bed (<c>""</c> for a facility alarm) and type.</summary>
internal readonly record struct AlarmKey(string Facility, string Bed, string Type);

/// <summary>One line of the append-only audit trail: every operator action and every state change.</summary>
/// <param name="Seq">Position in the trail (assigned by the store).</param>
/// <param name="At">Hub time.</param>
/// <param name="EventTime">Event time of the change, when it comes from device data.</param>
/// <param name="Action">E.g. <c>raised</c>, <c>acknowledged</c>, <c>shelved</c>, <c>architect-pause-requested</c> (docs/alarms.md, "States").</param>
/// <param name="Actor">User name, <c>system</c> (the hub's rules), <c>auto-rule</c> or <c>edge</c>.</param>
public sealed record AuditEntry(
    long Seq,
    DateTimeOffset At,
    DateTimeOffset? EventTime,
    string Facility,
    string? Bed,
    string? AlarmId,
    string Action,
    string Actor,
    string? Detail)
{
    /// <summary>An entry about <paramref name="alarm"/> (the store assigns <see cref="Seq"/>).</summary>
    internal static AuditEntry About(Alarm alarm, DateTimeOffset at, string action, string actor, string? detail, DateTimeOffset? eventTime = null) =>
        new(0, at, eventTime, alarm.Facility, alarm.Bed, alarm.Id, action, actor, detail);
}

/// <summary>Filter of <c>GET /api/alarms</c> and of the store's history query. <paramref name="RaisedEventFrom"/> and
/// <paramref name="RaisedEventTo"/> bound the device time an alarm was raised (inclusive, exclusive; null = open).</summary>
internal sealed record AlarmFilter(string? Facility, string? Bed, string? Type, string? Priority, string? State, int Limit,
    DateTimeOffset? RaisedEventFrom = null, DateTimeOffset? RaisedEventTo = null);

/// <summary>Filter of <c>GET /api/audit</c>. <paramref name="ActionPrefix"/> keeps actions starting with it (e.g. <c>architect-</c>).</summary>
internal sealed record AuditFilter(string? Facility, string? Bed, string? AlarmId, DateTimeOffset? From, DateTimeOffset? To, int Limit, string? ActionPrefix = null);

/// <summary>What the hub last asked an edge to do with its Architect interlock, and when the edge confirmed it.</summary>
public sealed record InterlockRequest(
    string Facility,
    string Bed,
    bool Engaged,
    string CommandId,
    string IssuedBy,
    DateTimeOffset RequestedAt,
    string? Reason,
    DateTimeOffset? ConfirmedAt);

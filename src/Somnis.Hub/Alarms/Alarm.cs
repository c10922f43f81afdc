using System.Text.Json;

namespace Somnis.Hub.Alarms;

/// <summary>
/// One alarm: a type on a bed (or a facility), from the moment it is raised until it returns to normal. Immutable: every
/// change is a new copy, stored before it replaces the old one. The API, live feed, MQTT topic and webhook all show this shape.
/// </summary>
/// <param name="Id">Stable id (also the MQTT topic level).</param>
/// <param name="Bed">The bed, or null for a facility alarm.</param>
/// <param name="Class"><c>clinical</c> or <c>technical</c>.</param>
/// <param name="Active">The condition holds (after on/off-delays).</param>
/// <param name="Closed">Returned to normal: the record is history.</param>
/// <param name="RaisedAt">Hub time it was first raised.</param>
/// <param name="RaisedEventTime">Event time it was first raised (device time; for hub-clock types the facility's newest event time).</param>
/// <param name="AnnouncedAt">Hub time of the latest annunciation (raise, re-raise, re-alarm, unsuppress); escalation counts from it.</param>
/// <param name="LastEventTime">Event time of the newest evidence.</param>
/// <param name="ClearedAt">Hub time the condition last cleared.</param>
/// <param name="Suppressed">Suppressed by design (docs/alarms.md): not annunciated, not escalated, not counted.</param>
/// <param name="ParentId">The facility incident this alarm is grouped under.</param>
/// <param name="Occurrences">How often the condition became active within this alarm.</param>
/// <param name="Chattering">Raised at least ChatterCount times within ChatterWindow.</param>
/// <param name="Escalation">0 none, 1 re-notified, 2 escalated to supervisors.</param>
/// <param name="Evidence">The numbers behind it (the detection evidence record, or the technical condition).</param>
/// <param name="Beds">For a facility incident: the beds involved.</param>
public sealed record Alarm(
    string Id,
    string Facility,
    string? Bed,
    string Type,
    string Priority,
    string Class,
    bool Latching,
    bool Active,
    bool Acknowledged,
    bool Closed,
    DateTimeOffset RaisedAt,
    DateTimeOffset RaisedEventTime,
    DateTimeOffset AnnouncedAt,
    DateTimeOffset LastEventTime,
    DateTimeOffset? ClearedAt,
    string? AckedBy,
    DateTimeOffset? AckedAt,
    string? AckComment,
    DateTimeOffset? ShelvedUntil,
    string? ShelvedBy,
    string? ShelveReason,
    bool Suppressed,
    string? ParentId,
    string? AssignedTo,
    int Occurrences,
    bool Chattering,
    int Escalation,
    string Summary,
    JsonElement? Evidence,
    IReadOnlyList<string>? Beds)
{
    /// <summary>The ISA-18.2 state shown to people (docs/alarms.md, "States").</summary>
    public string State => Closed ? AlarmStates.Cleared
        : ShelvedUntil is not null ? AlarmStates.Shelved
        : Suppressed ? AlarmStates.Suppressed
        : Active ? (Acknowledged ? AlarmStates.ActiveAcknowledged : AlarmStates.ActiveUnacknowledged)
        : AlarmStates.ClearedUnacknowledged;

    /// <summary>
    /// Sequence number of the bed's data message whose processing raised (or last re-raised) the alarm; null when the hub's
    /// clock raised it (offline, stale). Links an alarm to the exact sample behind it, and lets a client measure the time
    /// from that sample's publish to the alarm's arrival (bench/, docs/performance.md).
    /// </summary>
    public long? TriggerSeq { get; init; }

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
}

/// <summary>One line of the append-only audit trail: every operator action and every state change.</summary>
/// <param name="Seq">Position in the trail (assigned by the store).</param>
/// <param name="At">Hub time.</param>
/// <param name="EventTime">Event time of the change, when it comes from device data.</param>
/// <param name="Action">E.g. <c>raised</c>, <c>acknowledged</c>, <c>shelved</c>, <c>architect-pause-requested</c> (docs/alarms.md, "Audit trail").</param>
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
    string? Detail);

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

/// <summary>
/// Where alarms, the audit trail, shelving and interlock requests are kept. The seam for a server database: the embedded
/// SQLite store implements it (SomnisStore.Alarms.cs); a PostgreSQL one would implement these six methods. Every
/// method throws on failure; callers decide what that means (an operator action fails with nothing changed).
/// </summary>
internal interface IAlarmStore
{
    /// <summary>Inserts or replaces an alarm and appends its audit entries, in one transaction.</summary>
    void Save(Alarm? alarm, IReadOnlyList<AuditEntry> audit);

    /// <summary>Several <see cref="Save"/>s in order, in one transaction (all or none).</summary>
    void SaveMany(IReadOnlyList<AlarmChange> changes);

    /// <summary>Every alarm that has not returned to normal.</summary>
    IReadOnlyList<Alarm> LoadOpen();

    /// <summary>Alarms (open and closed), newest first.</summary>
    IReadOnlyList<Alarm> QueryAlarms(AlarmFilter filter);

    Alarm? FindAlarm(string id);

    /// <summary>Audit entries, oldest first.</summary>
    IReadOnlyList<AuditEntry> QueryAudit(AuditFilter filter);

    void SaveInterlock(InterlockRequest request);

    IReadOnlyList<InterlockRequest> LoadInterlocks();
}

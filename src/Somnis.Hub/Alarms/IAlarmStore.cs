namespace Somnis.Hub.Alarms;

/// <summary>
/// Where alarms, the audit trail, shelving and interlock requests are kept: the embedded SQLite store
/// (SomnisStore.Alarms.cs) or the shared PostgreSQL one (PostgresStore.Alarms.cs), per <c>Store:Provider</c>. Every
/// method throws on failure, a <see cref="System.Data.Common.DbException"/> or an <see cref="IOException"/>; callers
/// decide what that means (an operator action fails with nothing changed, a system change is kept in memory).
/// </summary>
/// <remarks>
/// What a hub taking over needs is in the alarms themselves (<see cref="LoadOpen"/>): the open alarms with their state,
/// acknowledgement (<see cref="Alarm.AckedAt"/> starts the re-alarm time), shelving (<see cref="Alarm.ShelvedUntil"/>),
/// the escalation step already notified (<see cref="Alarm.Escalation"/>, counted from <see cref="Alarm.AnnouncedAt"/>),
/// suppression and grouping. Not kept, and rebuilt from new data (docs/alarms.md, "Persistence", says what that costs):
/// the on/off-delays still running (<see cref="DelayTimers"/>), the raise times behind chatter detection
/// (<see cref="ChatterDetector"/>), the <see cref="EventClocks"/>, and a repeat's newer evidence until the alarm's next
/// stored change.
/// </remarks>
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

/// <summary>One change for the store: a new version of an alarm (or none) and its audit entries.</summary>
internal sealed record AlarmChange(Alarm? Alarm, IReadOnlyList<AuditEntry> Audit);

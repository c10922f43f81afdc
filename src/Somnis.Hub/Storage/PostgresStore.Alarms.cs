using System.Text.Json;
using Npgsql;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Storage;

/// <summary>Alarms, the audit trail and interlock requests in the shared store (schema step 1).</summary>
internal sealed partial class PostgresStore : IAlarmStore
{
    public void Save(Alarm? alarm, IReadOnlyList<AuditEntry> audit) => SaveMany([new AlarmChange(alarm, audit)]);

    /// <summary>All changes in one transaction and one round trip (a batch of statements).</summary>
    public void SaveMany(IReadOnlyList<AlarmChange> changes) => Write((c, tx) =>
    {
        using var batch = new NpgsqlBatch(c, tx);
        foreach (var (alarm, audit) in changes)
        {
            if (alarm is not null)
            {
                batch.BatchCommands.Add(Command("""
                    INSERT INTO alarms (id, facility, bed, type, priority, closed, raised_at, raised_event_at, json)
                    VALUES (@id, @facility, @bed, @type, @priority, @closed, @raised, @raisedEvent, @json)
                    ON CONFLICT (id) DO UPDATE SET priority = excluded.priority, closed = excluded.closed, json = excluded.json;
                    """,
                    P("id", alarm.Id), P("facility", alarm.Facility), P("bed", alarm.Bed), P("type", alarm.Type), P("priority", alarm.Priority),
                    P("closed", alarm.Closed), P("raised", Ts(alarm.RaisedAt)), P("raisedEvent", Ts(alarm.RaisedEventTime)),
                    P("json", JsonSerializer.Serialize(alarm, HubJsonContext.Default.Alarm))));
            }

            AddAudit(batch, audit);
        }

        return batch.BatchCommands.Count > 0 ? batch.ExecuteNonQuery() : 0;
    });

    /// <summary>Appends audit entries to a write's batch (the sleeper feature records its changes in the same trail).</summary>
    private static void AddAudit(NpgsqlBatch batch, IReadOnlyList<AuditEntry> audit)
    {
        foreach (var a in audit)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO audit (at, event_at, facility, bed, alarm_id, action, actor, detail)
                VALUES (@at, @event, @facility, @bed, @alarm, @action, @actor, @detail);
                """,
                P("at", Ts(a.At)), P("event", Ts(a.EventTime)), P("facility", a.Facility), P("bed", a.Bed), P("alarm", a.AlarmId),
                P("action", a.Action), P("actor", a.Actor), P("detail", a.Detail)));
        }
    }

    public IReadOnlyList<Alarm> LoadOpen() => ReadAlarms("SELECT json FROM alarms WHERE NOT closed ORDER BY raised_at;");

    public IReadOnlyList<Alarm> QueryAlarms(AlarmFilter f) => ReadAlarms(
        """
        SELECT json FROM alarms
        WHERE (@facility::text IS NULL OR facility = @facility) AND (@bed::text IS NULL OR bed = @bed) AND (@type::text IS NULL OR type = @type)
          AND (@priority::text IS NULL OR priority = @priority) AND (@closed::boolean IS NULL OR closed = @closed)
          AND (@from::timestamptz IS NULL OR raised_event_at >= @from) AND (@to::timestamptz IS NULL OR raised_event_at < @to)
        ORDER BY raised_at DESC LIMIT @limit;
        """,
        P("facility", f.Facility), P("bed", f.Bed), P("type", f.Type), P("priority", f.Priority),
        P("closed", f.State == AlarmStates.Cleared ? true : null), P("from", Ts(f.RaisedEventFrom)), P("to", Ts(f.RaisedEventTo)), P("limit", f.Limit));

    public Alarm? FindAlarm(string id) => ReadAlarms("SELECT json FROM alarms WHERE id = @id;", P("id", id)).FirstOrDefault();

    public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter f) => Query(
        // The newest entries within the limit, returned oldest first.
        """
        SELECT * FROM (
            SELECT seq, at, event_at, facility, bed, alarm_id, action, actor, detail FROM audit
            WHERE (@facility::text IS NULL OR facility = @facility) AND (@bed::text IS NULL OR bed = @bed)
              AND (@alarm::text IS NULL OR alarm_id = @alarm) AND (@from::timestamptz IS NULL OR at >= @from) AND (@to::timestamptz IS NULL OR at <= @to)
              AND (@prefix::text IS NULL OR starts_with(action, @prefix))
            ORDER BY seq DESC LIMIT @limit) newest
        ORDER BY seq;
        """,
        r => new AuditEntry(r.GetInt64(0), ReadTs(r, 1), ReadNullableTs(r, 2), r.GetString(3), ReadNullableString(r, 4), ReadNullableString(r, 5),
            r.GetString(6), r.GetString(7), ReadNullableString(r, 8)),
        P("facility", f.Facility), P("bed", f.Bed), P("alarm", f.AlarmId), P("from", Ts(f.From)), P("to", Ts(f.To)), P("limit", f.Limit), P("prefix", f.ActionPrefix));

    public void SaveInterlock(InterlockRequest q) => Write((c, tx) => Execute(c, tx, """
        INSERT INTO interlock (facility, bed, engaged, command_id, issued_by, requested_at, reason, confirmed_at)
        VALUES (@facility, @bed, @engaged, @id, @by, @at, @reason, @confirmed)
        ON CONFLICT (facility, bed) DO UPDATE SET engaged = excluded.engaged, command_id = excluded.command_id, issued_by = excluded.issued_by,
            requested_at = excluded.requested_at, reason = excluded.reason, confirmed_at = excluded.confirmed_at;
        """,
        P("facility", q.Facility), P("bed", q.Bed), P("engaged", q.Engaged), P("id", q.CommandId), P("by", q.IssuedBy),
        P("at", Ts(q.RequestedAt)), P("reason", q.Reason), P("confirmed", Ts(q.ConfirmedAt))));

    public IReadOnlyList<InterlockRequest> LoadInterlocks() => Query(
        "SELECT facility, bed, engaged, command_id, issued_by, requested_at, reason, confirmed_at FROM interlock;",
        r => new InterlockRequest(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), r.GetString(4), ReadTs(r, 5),
            ReadNullableString(r, 6), ReadNullableTs(r, 7)));

    private List<Alarm> ReadAlarms(string sql, params NpgsqlParameter[] parameters) =>
        [.. Query(sql, r => JsonSerializer.Deserialize(r.GetString(0), HubJsonContext.Default.Alarm), parameters).OfType<Alarm>()];

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }
}

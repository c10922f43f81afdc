using System.Text.Json;
using Microsoft.Data.Sqlite;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Storage;

/// <summary>Alarms, the audit trail and interlock requests in the embedded store (schema step 2).</summary>
internal sealed partial class SomnisStore : IAlarmStore
{
    public void Save(Alarm? alarm, IReadOnlyList<AuditEntry> audit) => SaveMany([new AlarmChange(alarm, audit)]);

    public void SaveMany(IReadOnlyList<AlarmChange> changes)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var (alarm, audit) in changes)
        {
            Write(c, tx, alarm, audit);
        }

        tx.Commit();
    }

    private static void Write(SqliteConnection c, SqliteTransaction tx, Alarm? alarm, IReadOnlyList<AuditEntry> audit)
    {
        if (alarm is not null)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO alarms (id, facility, bed, type, priority, closed, raised_at, raised_event_at, json)
                VALUES ($id, $facility, $bed, $type, $priority, $closed, $raised, $raisedEvent, $json)
                ON CONFLICT (id) DO UPDATE SET priority = excluded.priority, closed = excluded.closed, json = excluded.json;
                """;
            cmd.Parameters.AddWithValue("$id", alarm.Id);
            cmd.Parameters.AddWithValue("$facility", alarm.Facility);
            cmd.Parameters.AddWithValue("$bed", (object?)alarm.Bed ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$type", alarm.Type);
            cmd.Parameters.AddWithValue("$priority", alarm.Priority);
            cmd.Parameters.AddWithValue("$closed", alarm.Closed ? 1 : 0);
            cmd.Parameters.AddWithValue("$raised", alarm.RaisedAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$raisedEvent", alarm.RaisedEventTime.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$json", JsonSerializer.Serialize(alarm, HubJsonContext.Default.Alarm));
            cmd.ExecuteNonQuery();
        }

        foreach (var a in audit)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO audit (at, event_at, facility, bed, alarm_id, action, actor, detail)
                VALUES ($at, $event, $facility, $bed, $alarm, $action, $actor, $detail);
                """;
            cmd.Parameters.AddWithValue("$at", a.At.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$event", a.EventTime is { } e ? e.ToUnixTimeMilliseconds() : DBNull.Value);
            cmd.Parameters.AddWithValue("$facility", a.Facility);
            cmd.Parameters.AddWithValue("$bed", (object?)a.Bed ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$alarm", (object?)a.AlarmId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$action", a.Action);
            cmd.Parameters.AddWithValue("$actor", a.Actor);
            cmd.Parameters.AddWithValue("$detail", (object?)a.Detail ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<Alarm> LoadOpen() => ReadAlarms("SELECT json FROM alarms WHERE closed = 0 ORDER BY raised_at;", _ => { });

    public IReadOnlyList<Alarm> QueryAlarms(AlarmFilter f) => ReadAlarms(
        """
        SELECT json FROM alarms
        WHERE ($facility IS NULL OR facility = $facility) AND ($bed IS NULL OR bed = $bed) AND ($type IS NULL OR type = $type)
          AND ($priority IS NULL OR priority = $priority) AND ($closed IS NULL OR closed = $closed)
          AND ($from IS NULL OR raised_event_at >= $from) AND ($to IS NULL OR raised_event_at < $to)
        ORDER BY raised_at DESC LIMIT $limit;
        """,
        p =>
        {
            p.AddWithValue("$facility", (object?)f.Facility ?? DBNull.Value);
            p.AddWithValue("$bed", (object?)f.Bed ?? DBNull.Value);
            p.AddWithValue("$type", (object?)f.Type ?? DBNull.Value);
            p.AddWithValue("$priority", (object?)f.Priority ?? DBNull.Value);
            p.AddWithValue("$closed", f.State == AlarmStates.Cleared ? 1 : DBNull.Value);
            p.AddWithValue("$from", f.RaisedEventFrom is { } from ? from.ToUnixTimeMilliseconds() : DBNull.Value);
            p.AddWithValue("$to", f.RaisedEventTo is { } to ? to.ToUnixTimeMilliseconds() : DBNull.Value);
            p.AddWithValue("$limit", f.Limit);
        });

    public Alarm? FindAlarm(string id) =>
        ReadAlarms("SELECT json FROM alarms WHERE id = $id;", p => p.AddWithValue("$id", id)).FirstOrDefault();

    public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter f)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // The newest entries within the limit, returned oldest first.
        cmd.CommandText = """
            SELECT * FROM (
                SELECT seq, at, event_at, facility, bed, alarm_id, action, actor, detail FROM audit
                WHERE ($facility IS NULL OR facility = $facility) AND ($bed IS NULL OR bed = $bed)
                  AND ($alarm IS NULL OR alarm_id = $alarm) AND ($from IS NULL OR at >= $from) AND ($to IS NULL OR at <= $to)
                  AND ($prefix IS NULL OR substr(action, 1, length($prefix)) = $prefix)
                ORDER BY seq DESC LIMIT $limit)
            ORDER BY seq;
            """;
        cmd.Parameters.AddWithValue("$facility", (object?)f.Facility ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$bed", (object?)f.Bed ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$alarm", (object?)f.AlarmId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$from", f.From is { } from ? from.ToUnixTimeMilliseconds() : DBNull.Value);
        cmd.Parameters.AddWithValue("$to", f.To is { } to ? to.ToUnixTimeMilliseconds() : DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", f.Limit);
        cmd.Parameters.AddWithValue("$prefix", (object?)f.ActionPrefix ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var result = new List<AuditEntry>();
        while (r.Read())
        {
            result.Add(new AuditEntry(
                r.GetInt64(0),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
                r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
                r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5),
                r.GetString(6),
                r.GetString(7),
                r.IsDBNull(8) ? null : r.GetString(8)));
        }

        return result;
    }

    public void SaveInterlock(InterlockRequest q)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT OR REPLACE INTO interlock (facility, bed, engaged, command_id, issued_by, requested_at, reason, confirmed_at)
            VALUES ($facility, $bed, $engaged, $id, $by, $at, $reason, $confirmed);
            """;
        cmd.Parameters.AddWithValue("$facility", q.Facility);
        cmd.Parameters.AddWithValue("$bed", q.Bed);
        cmd.Parameters.AddWithValue("$engaged", q.Engaged ? 1 : 0);
        cmd.Parameters.AddWithValue("$id", q.CommandId);
        cmd.Parameters.AddWithValue("$by", q.IssuedBy);
        cmd.Parameters.AddWithValue("$at", q.RequestedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$reason", (object?)q.Reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$confirmed", q.ConfirmedAt is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<InterlockRequest> LoadInterlocks()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT facility, bed, engaged, command_id, issued_by, requested_at, reason, confirmed_at FROM interlock;";
        using var r = cmd.ExecuteReader();
        var result = new List<InterlockRequest>();
        while (r.Read())
        {
            result.Add(new InterlockRequest(
                r.GetString(0),
                r.GetString(1),
                r.GetInt64(2) != 0,
                r.GetString(3),
                r.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
                r.IsDBNull(6) ? null : r.GetString(6),
                r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7))));
        }

        return result;
    }

    private List<Alarm> ReadAlarms(string sql, Action<SqliteParameterCollection> parameters)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        parameters(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<Alarm>();
        while (r.Read())
        {
            if (JsonSerializer.Deserialize(r.GetString(0), HubJsonContext.Default.Alarm) is { } a)
            {
                result.Add(a);
            }
        }

        return result;
    }
}

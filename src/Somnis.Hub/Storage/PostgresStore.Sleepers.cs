using Npgsql;
using Somnis.Hub.Alarms;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;

namespace Somnis.Hub.Storage;

/// <summary>Sleepers, program history and admissions in the shared store (schema step 2). Audit entries go into the alarm
/// feature's <c>audit</c> table in the same transaction as the change they record.</summary>
internal sealed partial class PostgresStore : ISleeperStore
{
    /// <summary>The program of each of a sleeper's nights on its date (<c>@sleeper</c>), re-derived after any change.</summary>
    private const string DeriveProgramSql = """
        UPDATE nights SET program = (SELECT p.program FROM sleeper_programs p
                                     WHERE p.sleeper_id = nights.sleeper_id AND p.from_date <= nights.night_date
                                     ORDER BY p.from_date DESC LIMIT 1)
        WHERE sleeper_id = @sleeper;
        """;

    public bool CreateSleeper(Sleeper sleeper, AuditEntry audit) => Write((c, tx) =>
    {
        var inserted = Execute(c, tx, "INSERT INTO sleepers (id, name, notes, created_at) VALUES (@id, @name, @notes, @at) ON CONFLICT (id) DO NOTHING;",
            P("id", sleeper.Id), P("name", sleeper.Name), P("notes", sleeper.Notes), P("at", Ts(audit.At)));
        if (inserted == 0)
        {
            return false;
        }

        using var batch = new NpgsqlBatch(c, tx);
        foreach (var entry in sleeper.Programs)
        {
            batch.BatchCommands.Add(ProgramCommand(sleeper.Id, entry, audit));
        }

        AddAudit(batch, [audit]);
        batch.ExecuteNonQuery();
        return true;
    });

    public Sleeper? FindSleeper(string id) => ReadSleepers("WHERE s.id = @id", P("id", id)).FirstOrDefault();

    public IReadOnlyList<Sleeper> Sleepers() => ReadSleepers("");

    public void AddProgram(string sleeperId, ProgramEntry entry, AuditEntry audit) => Write((c, tx) =>
    {
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(ProgramCommand(sleeperId, entry, audit));
        batch.BatchCommands.Add(Command(DeriveProgramSql, P("sleeper", sleeperId)));
        AddAudit(batch, [audit]);
        return batch.ExecuteNonQuery();
    });

    public IReadOnlyList<Admission> Admissions(string? facility, string? bed, string? sleeperId) => ReadAdmissions(
        "WHERE (@facility::text IS NULL OR facility = @facility) AND (@bed::text IS NULL OR bed = @bed) AND (@sleeper::text IS NULL OR sleeper_id = @sleeper) ORDER BY from_at, id",
        P("facility", facility), P("bed", bed), P("sleeper", sleeperId));

    public IReadOnlyList<Admission> CurrentAdmissions() => ReadAdmissions("WHERE to_at IS NULL ORDER BY facility, bed");

    public Admission? AdmissionAt(string facility, string bed, DateTimeOffset at) => ReadAdmissions(
        "WHERE facility = @facility AND bed = @bed AND from_at <= @at AND (to_at IS NULL OR to_at > @at) ORDER BY from_at DESC LIMIT 1",
        P("facility", facility), P("bed", bed), P("at", Ts(at))).FirstOrDefault();

    public Admission ApplyAdmission(AdmissionChange change) => Write((c, tx) =>
    {
        if (change.Close is { To: { } to } close
            && Execute(c, tx, "UPDATE admissions SET to_at = @to WHERE id = @id AND to_at IS NULL;", P("id", close.Id), P("to", Ts(to))) != 1)
        {
            throw new InvalidOperationException($"admission {close.Id} is no longer open");
        }

        var result = change.Close;
        using var batch = new NpgsqlBatch(c, tx);
        if (change.Open is { } open)
        {
            using (var insert = new NpgsqlCommand(
                "INSERT INTO admissions (facility, bed, sleeper_id, from_at, to_at) VALUES (@facility, @bed, @sleeper, @from, NULL) RETURNING id;", c, tx))
            {
                insert.Parameters.AddRange(new[] { P("facility", open.Facility), P("bed", open.Bed), P("sleeper", open.SleeperId), P("from", Ts(open.From)) });
                result = open with { Id = (long)insert.ExecuteScalar()! };
            }

            // The bed's nights that nobody had and that this admission covers (one going on when the sleeper is admitted
            // mid-night, or later ones of a back-dated admission) are the sleeper's from now on.
            batch.BatchCommands.Add(Command("""
                UPDATE nights SET sleeper_id = @sleeper
                WHERE facility = @facility AND bed = @bed AND sleeper_id IS NULL AND (end_at IS NULL OR end_at > @from);
                """, P("sleeper", open.SleeperId), P("facility", open.Facility), P("bed", open.Bed), P("from", Ts(open.From))));
            batch.BatchCommands.Add(Command(DeriveProgramSql, P("sleeper", open.SleeperId)));
        }

        AddAudit(batch, change.Audit);
        if (batch.BatchCommands.Count > 0)
        {
            batch.ExecuteNonQuery();
        }

        return result ?? throw new ArgumentException("an admission change closes or opens an admission", nameof(change));
    });

    private static NpgsqlBatchCommand ProgramCommand(string sleeperId, ProgramEntry entry, AuditEntry audit) => Command(
        "INSERT INTO sleeper_programs (sleeper_id, from_date, program, changed_at, changed_by) VALUES (@sleeper, @from, @program, @at, @by);",
        // "Since always" is the earliest date (PostgreSQL: -infinity), so it compares before every night.
        P("sleeper", sleeperId), P("from", entry.From ?? DateOnly.MinValue), P("program", StudyReport.ProgramName(entry.Program)),
        P("at", Ts(audit.At)), P("by", audit.Actor));

    private List<Sleeper> ReadSleepers(string where, params NpgsqlParameter[] parameters)
    {
        var rows = Query($"""
            SELECT s.id, s.name, s.notes, p.from_date, p.program FROM sleepers s JOIN sleeper_programs p ON p.sleeper_id = s.id
            {where} ORDER BY s.id, p.from_date;
            """,
            r =>
            {
                var from = r.GetFieldValue<DateOnly>(3);
                return (Id: r.GetString(0), Name: r.GetString(1), Notes: ReadNullableString(r, 2),
                    Entry: new ProgramEntry(SomnisStore.ParseProgram(r.GetString(4)), from == DateOnly.MinValue ? null : from));
            },
            parameters);
        var result = new List<Sleeper>();
        foreach (var (id, name, notes, entry) in rows)
        {
            if (result.Count > 0 && result[^1].Id == id)
            {
                result[^1] = result[^1] with { Programs = [.. result[^1].Programs, entry] };
            }
            else
            {
                result.Add(new Sleeper(id, name, notes, [entry]));
            }
        }

        return result;
    }

    private List<Admission> ReadAdmissions(string where, params NpgsqlParameter[] parameters) => Query(
        $"SELECT id, facility, bed, sleeper_id, from_at, to_at FROM admissions {where};",
        r => new Admission(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), ReadTs(r, 4), ReadNullableTs(r, 5)),
        parameters);
}

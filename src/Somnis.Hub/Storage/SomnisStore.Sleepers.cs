using System.Globalization;
using Microsoft.Data.Sqlite;
using Somnis.Hub.Alarms;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Storage;

/// <summary>Sleepers, program history and admissions in the embedded store (schema step 5). Audit entries go into the
/// alarm feature's <c>audit</c> table in the same transaction as the change they record.</summary>
internal sealed partial class SomnisStore : ISleeperStore
{
    /// <summary>How a program entry that holds "since before any night" is stored (dates compare as text).</summary>
    private const string SinceAlways = "0001-01-01";

    /// <summary>The program of each of a sleeper's nights on its date (<c>$sleeper</c>), re-derived after any change.</summary>
    private const string DeriveProgramSql = """
        UPDATE nights SET program = (SELECT p.program FROM sleeper_programs p
                                     WHERE p.sleeper_id = nights.sleeper_id AND p.from_date <= nights.night_date
                                     ORDER BY p.from_date DESC LIMIT 1)
        WHERE sleeper_id = $sleeper;
        """;

    public bool CreateSleeper(Sleeper sleeper, AuditEntry audit)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var inserted = Run(c, tx, "INSERT OR IGNORE INTO sleepers (id, name, notes, created_at) VALUES ($id, $name, $notes, $at);", p =>
        {
            p.AddWithValue("$id", sleeper.Id);
            p.AddWithValue("$name", sleeper.Name);
            p.AddWithValue("$notes", (object?)sleeper.Notes ?? DBNull.Value);
            p.AddWithValue("$at", audit.At.ToUnixTimeMilliseconds());
        });
        if (inserted == 0)
        {
            return false;
        }

        foreach (var entry in sleeper.Programs)
        {
            InsertProgram(c, tx, sleeper.Id, entry, audit);
        }

        Write(c, tx, null, [audit]);
        tx.Commit();
        return true;
    }

    public Sleeper? FindSleeper(string id) => ReadSleepers("WHERE s.id = $id", p => p.AddWithValue("$id", id)).FirstOrDefault();

    public IReadOnlyList<Sleeper> Sleepers() => ReadSleepers("", _ => { });

    public void AddProgram(string sleeperId, ProgramEntry entry, AuditEntry audit)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        InsertProgram(c, tx, sleeperId, entry, audit);
        Run(c, tx, DeriveProgramSql, p => p.AddWithValue("$sleeper", sleeperId));
        Write(c, tx, null, [audit]);
        tx.Commit();
    }

    public IReadOnlyList<Admission> Admissions(string? facility, string? bed, string? sleeperId) => ReadAdmissions(
        "WHERE ($facility IS NULL OR facility = $facility) AND ($bed IS NULL OR bed = $bed) AND ($sleeper IS NULL OR sleeper_id = $sleeper) ORDER BY from_ms, id",
        p =>
        {
            p.AddWithValue("$facility", (object?)facility ?? DBNull.Value);
            p.AddWithValue("$bed", (object?)bed ?? DBNull.Value);
            p.AddWithValue("$sleeper", (object?)sleeperId ?? DBNull.Value);
        });

    public IReadOnlyList<Admission> CurrentAdmissions() => ReadAdmissions("WHERE to_ms IS NULL ORDER BY facility, bed", _ => { });

    public Admission? AdmissionAt(string facility, string bed, DateTimeOffset at) => ReadAdmissions(
        "WHERE facility = $facility AND bed = $bed AND from_ms <= $at AND (to_ms IS NULL OR to_ms > $at) ORDER BY from_ms DESC LIMIT 1",
        p =>
        {
            p.AddWithValue("$facility", facility);
            p.AddWithValue("$bed", bed);
            p.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        }).FirstOrDefault();

    public Admission ApplyAdmission(AdmissionChange change)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        if (change.Close is { To: { } to } close)
        {
            var closed = Run(c, tx, "UPDATE admissions SET to_ms = $to WHERE id = $id AND to_ms IS NULL;", p =>
            {
                p.AddWithValue("$id", close.Id);
                p.AddWithValue("$to", to.ToUnixTimeMilliseconds());
            });
            if (closed != 1)
            {
                throw new InvalidOperationException($"admission {close.Id} is no longer open");
            }
        }

        var result = change.Close;
        if (change.Open is { } open)
        {
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO admissions (facility, bed, sleeper_id, from_ms, to_ms) VALUES ($facility, $bed, $sleeper, $from, NULL);
                SELECT last_insert_rowid();
                """;
            insert.Parameters.AddWithValue("$facility", open.Facility);
            insert.Parameters.AddWithValue("$bed", open.Bed);
            insert.Parameters.AddWithValue("$sleeper", open.SleeperId);
            insert.Parameters.AddWithValue("$from", open.From.ToUnixTimeMilliseconds());
            result = open with { Id = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture) };

            // The bed's nights that nobody had and that this admission covers (one going on when the sleeper is admitted
            // mid-night, or later ones of a back-dated admission) are the sleeper's from now on.
            Run(c, tx, """
                UPDATE nights SET sleeper_id = $sleeper
                WHERE facility = $facility AND bed = $bed AND sleeper_id IS NULL AND (end_ms IS NULL OR end_ms > $from);
                """, p =>
            {
                p.AddWithValue("$sleeper", open.SleeperId);
                p.AddWithValue("$facility", open.Facility);
                p.AddWithValue("$bed", open.Bed);
                p.AddWithValue("$from", open.From.ToUnixTimeMilliseconds());
            });
            Run(c, tx, DeriveProgramSql, p => p.AddWithValue("$sleeper", open.SleeperId));
        }

        Write(c, tx, null, change.Audit);
        tx.Commit();
        return result ?? throw new ArgumentException("an admission change closes or opens an admission", nameof(change));
    }

    private static void InsertProgram(SqliteConnection c, SqliteTransaction tx, string sleeperId, ProgramEntry entry, AuditEntry audit) =>
        Run(c, tx, """
            INSERT INTO sleeper_programs (sleeper_id, from_date, program, changed_at, changed_by) VALUES ($sleeper, $from, $program, $at, $by);
            """, p =>
        {
            p.AddWithValue("$sleeper", sleeperId);
            p.AddWithValue("$from", entry.From is { } from ? DateText(from) : SinceAlways);
            p.AddWithValue("$program", Study.StudyReport.ProgramName(entry.Program));
            p.AddWithValue("$at", audit.At.ToUnixTimeMilliseconds());
            p.AddWithValue("$by", audit.Actor);
        });

    private List<Sleeper> ReadSleepers(string where, Action<SqliteParameterCollection> parameters)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT s.id, s.name, s.notes, p.from_date, p.program FROM sleepers s JOIN sleeper_programs p ON p.sleeper_id = s.id
            {where} ORDER BY s.id, p.from_date;
            """;
        parameters(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<Sleeper>();
        while (r.Read())
        {
            var id = r.GetString(0);
            var from = r.GetString(3);
            var entry = new ProgramEntry(ParseProgram(r.GetString(4)), from == SinceAlways ? null : ParseDate(from));
            if (result.Count > 0 && result[^1].Id == id)
            {
                result[^1] = result[^1] with { Programs = [.. result[^1].Programs, entry] };
            }
            else
            {
                result.Add(new Sleeper(id, r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), [entry]));
            }
        }

        return result;
    }

    private List<Admission> ReadAdmissions(string where, Action<SqliteParameterCollection> parameters)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT id, facility, bed, sleeper_id, from_ms, to_ms FROM admissions {where};";
        parameters(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<Admission>();
        while (r.Read())
        {
            result.Add(new Admission(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
        }

        return result;
    }

    internal static SleepProgram ParseProgram(string text) => text switch
    {
        "architect" => SleepProgram.Architect,
        "companions" => SleepProgram.Companions,
        _ => SleepProgram.None,
    };

    internal static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static DateOnly ParseDate(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static int Run(SqliteConnection c, SqliteTransaction tx, string sql, Action<SqliteParameterCollection> parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        parameters(cmd.Parameters);
        return cmd.ExecuteNonQuery();
    }
}

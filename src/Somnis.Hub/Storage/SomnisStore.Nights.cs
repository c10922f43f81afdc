using System.Text.Json;
using Microsoft.Data.Sqlite;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;

namespace Somnis.Hub.Storage;

/// <summary>Nights of record and their epochs in the embedded store (schema step 5).</summary>
internal sealed partial class SomnisStore : INightStore
{
    private const string NightColumns = "id, facility, bed, sleeper_id, program, night_date, start_ms, end_ms, epochs, metrics, assessments, updated_at";

    public void WriteNights(IReadOnlyList<NightChange> changes, DateTimeOffset at)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var head = Command(c, tx, """
            INSERT OR IGNORE INTO nights (id, facility, bed, sleeper_id, night_date, start_ms, epochs, updated_at)
            SELECT $id, $facility, $bed,
                   (SELECT a.sleeper_id FROM admissions a WHERE a.facility = $facility AND a.bed = $bed
                      AND a.from_ms <= $start AND (a.to_ms IS NULL OR a.to_ms > $start) LIMIT 1),
                   $date, $start, 0, $at;
            """, "$id", "$facility", "$bed", "$date", "$start", "$at");
        using var program = Command(c, tx, """
            UPDATE nights SET program = (SELECT p.program FROM sleeper_programs p
                                         WHERE p.sleeper_id = nights.sleeper_id AND p.from_date <= nights.night_date
                                         ORDER BY p.from_date DESC LIMIT 1)
            WHERE id = $id AND sleeper_id IS NOT NULL;
            """, "$id");
        using var epoch = Command(c, tx, """
            INSERT OR REPLACE INTO night_epochs (night_id, idx, state, p_sleep, activity, heart_rate, presence, stimulating)
            VALUES ($id, $idx, $state, $p, $activity, $hr, $presence, $stimulating);
            """, "$id", "$idx", "$state", "$p", "$activity", "$hr", "$presence", "$stimulating");
        using var metrics = Command(c, tx, """
            UPDATE nights SET time_in_bed_min = $tib, tst_min = $tst, sleep_efficiency = $se, sol_min = $sol, waso_min = $waso,
                awakenings = $awakenings, arousal_index = $arousal, sleeping_hr = $hr, hr_dip = $dip, stimulated_min = $stim, metrics = $json
            WHERE id = $id;
            """, "$id", "$tib", "$tst", "$se", "$sol", "$waso", "$awakenings", "$arousal", "$hr", "$dip", "$stim", "$json");
        using var assessments = Command(c, tx, "UPDATE nights SET assessments = $json WHERE id = $id;", "$id", "$json");
        using var end = Command(c, tx, "UPDATE nights SET end_ms = $end WHERE id = $id;", "$id", "$end");
        using var touch = Command(c, tx, """
            UPDATE nights SET epochs = (SELECT count(*) FROM night_epochs WHERE night_id = $id), updated_at = $at WHERE id = $id;
            """, "$id", "$at");
        foreach (var change in changes)
        {
            var id = change.Key.Id;
            if (Exec(head, id, change.Key.Facility, change.Key.Bed, DateText(change.NightDate), change.Key.Start.ToUnixTimeMilliseconds(), at.ToUnixTimeMilliseconds()) == 1)
            {
                Exec(program, id);
            }

            foreach (var e in change.Epochs)
            {
                Exec(epoch, id, e.Index, (int)e.State, e.PSleep, e.ActivityCount, e.HeartRate, e.Presence is { } p ? (p ? 1 : 0) : null, e.Stimulating ? 1 : 0);
            }

            if (change.Metrics is { } m)
            {
                Exec(metrics, id, m.TimeInBedMin, m.TotalSleepMin, m.SleepEfficiency, m.SleepOnsetLatencyMin, m.WasoMin, m.Awakenings,
                    m.ArousalIndex, m.MeanSleepingHr, m.HrDip, m.StimulatedMin, JsonSerializer.Serialize(m, HubJsonContext.Default.NightMetrics));
            }

            if (change.Assessments is { } list)
            {
                Exec(assessments, id, JsonSerializer.Serialize(list, SleepersJsonContext.Default.IReadOnlyListNightAssessment));
            }

            if (change.End is { } ended)
            {
                Exec(end, id, ended.ToUnixTimeMilliseconds());
            }

            Exec(touch, id, at.ToUnixTimeMilliseconds());
        }

        tx.Commit();
    }

    public NightRecord? FindNight(string id) => ReadNights("WHERE id = $id", p => p.AddWithValue("$id", id)).FirstOrDefault();

    public IReadOnlyList<NightRecord> SleeperNights(string sleeperId, DateTimeOffset? before, int limit) => ReadNights(
        "WHERE sleeper_id = $sleeper AND ($before IS NULL OR start_ms < $before) ORDER BY start_ms DESC LIMIT $limit",
        p =>
        {
            p.AddWithValue("$sleeper", sleeperId);
            p.AddWithValue("$before", before is { } b ? b.ToUnixTimeMilliseconds() : DBNull.Value);
            p.AddWithValue("$limit", limit);
        });

    public IReadOnlyList<NightRecord> BedNights(string facility, string bed, DateTimeOffset from, DateTimeOffset to) => ReadNights(
        "WHERE facility = $facility AND bed = $bed AND start_ms >= $from AND start_ms < $to ORDER BY start_ms",
        p =>
        {
            p.AddWithValue("$facility", facility);
            p.AddWithValue("$bed", bed);
            p.AddWithValue("$from", from.ToUnixTimeMilliseconds());
            p.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        });

    public IReadOnlyList<NightRecord> OpenNights() => ReadNights("WHERE end_ms IS NULL ORDER BY start_ms", _ => { });

    public IReadOnlyList<StoredEpoch> NightEpochs(string nightId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT idx, state, p_sleep, activity, heart_rate, presence, stimulating FROM night_epochs WHERE night_id = $id ORDER BY idx;";
        cmd.Parameters.AddWithValue("$id", nightId);
        using var r = cmd.ExecuteReader();
        var result = new List<StoredEpoch>();
        while (r.Read())
        {
            result.Add(new StoredEpoch(r.GetInt32(0), (EpochState)r.GetInt32(1), r.GetDouble(2), NullableDouble(r, 3), NullableDouble(r, 4),
                r.IsDBNull(5) ? null : r.GetInt64(5) != 0, r.GetInt64(6) != 0));
        }

        return result;
    }

    public DateOnly? LatestNightDate()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT max(night_date) FROM nights;";
        return cmd.ExecuteScalar() is string date ? ParseDate(date) : null;
    }

    public IReadOnlyList<StudyNight> StudyNights(StudyQuery q)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // The first night of record of each sleeper is found over all their nights, not only the selected ones.
        cmd.CommandText = """
            SELECT n.sleeper_id, n.facility, n.night_date, n.program, n.start_ms = f.first_ms, n.stimulated_min, n.tst_min, n.sleep_efficiency,
                   n.sol_min, n.waso_min, n.awakenings, n.arousal_index, n.sleeping_hr, n.hr_dip
            FROM nights n
            JOIN (SELECT sleeper_id, min(start_ms) AS first_ms FROM nights WHERE sleeper_id IS NOT NULL GROUP BY sleeper_id) f ON f.sleeper_id = n.sleeper_id
            WHERE n.end_ms IS NOT NULL AND n.night_date >= $from AND n.night_date <= $to
              AND ($facility IS NULL OR n.facility = $facility) AND ($program IS NULL OR n.program = $program) AND ($sleeper IS NULL OR n.sleeper_id = $sleeper)
            ORDER BY n.start_ms;
            """;
        cmd.Parameters.AddWithValue("$from", DateText(q.From));
        cmd.Parameters.AddWithValue("$to", DateText(q.To));
        cmd.Parameters.AddWithValue("$facility", (object?)q.Facility ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$program", q.Program is { } program ? StudyReport.ProgramName(program) : DBNull.Value);
        cmd.Parameters.AddWithValue("$sleeper", (object?)q.SleeperId ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var result = new List<StudyNight>();
        while (r.Read())
        {
            result.Add(new StudyNight(r.GetString(0), r.GetString(1), ParseDate(r.GetString(2)), r.IsDBNull(3) ? SleepProgram.None : ParseProgram(r.GetString(3)),
                r.GetInt64(4) != 0, NullableDouble(r, 5) ?? 0, NullableDouble(r, 6), NullableDouble(r, 7), NullableDouble(r, 8), NullableDouble(r, 9),
                NullableDouble(r, 10), NullableDouble(r, 11), NullableDouble(r, 12), NullableDouble(r, 13)));
        }

        return result;
    }

    public IReadOnlyList<FinishedNight> FinishedNights()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // Columns only (no JSON): a store kept for 400 days holds hundreds of thousands of nights, all read at start-up.
        cmd.CommandText = """
            SELECT id, facility, bed, sleeper_id, night_date, start_ms, end_ms, tst_min FROM nights
            WHERE end_ms IS NOT NULL AND tst_min IS NOT NULL ORDER BY start_ms;
            """;
        using var r = cmd.ExecuteReader();
        var result = new List<FinishedNight>();
        while (r.Read())
        {
            result.Add(new FinishedNight(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), ParseDate(r.GetString(4)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), r.GetDouble(7)));
        }

        return result;
    }

    public IReadOnlyList<NightRecord> LatestFinishedNights(int perSleeper) => ReadNights(
        """
        WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY sleeper_id ORDER BY start_ms DESC) AS n FROM nights
                                     WHERE sleeper_id IS NOT NULL AND end_ms IS NOT NULL) WHERE n <= $per)
        ORDER BY sleeper_id, start_ms DESC
        """,
        p => p.AddWithValue("$per", perSleeper));

    public IReadOnlyList<NightRecord> NightsBetween(DateTimeOffset from, DateTimeOffset to) => ReadNights(
        "WHERE start_ms >= $from AND start_ms < $to ORDER BY start_ms, facility, bed",
        p =>
        {
            p.AddWithValue("$from", from.ToUnixTimeMilliseconds());
            p.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        });

    public int PruneNights(DateTimeOffset before, int maxNights)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // Epochs go with their night (ON DELETE CASCADE); a bounded number of nights keeps the transaction short.
        cmd.CommandText = "DELETE FROM nights WHERE id IN (SELECT id FROM nights WHERE start_ms < $before ORDER BY start_ms LIMIT $max);";
        cmd.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$max", maxNights);
        return cmd.ExecuteNonQuery();
    }

    private List<NightRecord> ReadNights(string where, Action<SqliteParameterCollection> parameters)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {NightColumns} FROM nights {where};";
        parameters(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<NightRecord>();
        while (r.Read())
        {
            result.Add(new NightRecord(
                r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : ParseProgram(r.GetString(4)),
                ParseDate(r.GetString(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
                r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetInt32(8),
                r.IsDBNull(9) ? null : JsonSerializer.Deserialize(r.GetString(9), HubJsonContext.Default.NightMetrics),
                r.IsDBNull(10) ? [] : JsonSerializer.Deserialize(r.GetString(10), SleepersJsonContext.Default.IReadOnlyListNightAssessment) ?? [],
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(11))));
        }

        return result;
    }

    /// <summary>A command of the transaction with its parameters declared once (values set per row by <see cref="Exec"/>).</summary>
    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction tx, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var name in names)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return cmd;
    }

    private static int Exec(SqliteCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return cmd.ExecuteNonQuery();
    }
}

using System.Text.Json;
using Npgsql;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;

namespace Somnis.Hub.Storage;

/// <summary>Nights of record and their epochs in the shared store (schema step 2).</summary>
internal sealed partial class PostgresStore : INightStore
{
    private const string NightColumns = "id, facility, bed, sleeper_id, program, night_date, start_at, end_at, epochs, metrics, assessments, updated_at";

    /// <summary>
    /// One transaction and one round trip: the nights' rows, then every epoch of the batch in one statement (arrays
    /// unnested; the embedded file writes them row by row, which costs nothing there but a round trip each here), then
    /// each night's metrics, end and epoch count.
    /// </summary>
    public void WriteNights(IReadOnlyList<NightChange> changes, DateTimeOffset at) => Write((c, tx) =>
    {
        using var batch = new NpgsqlBatch(c, tx);
        foreach (var change in changes)
        {
            // A night seen for the first time gets the sleeper admitted at its start and their program on its date; a night
            // stored before keeps both (programs and admissions re-derive them on their own changes).
            batch.BatchCommands.Add(Command("""
                INSERT INTO nights (id, facility, bed, sleeper_id, program, night_date, start_at, epochs, updated_at)
                SELECT @id, @facility, @bed, a.sleeper_id,
                       (SELECT p.program FROM sleeper_programs p WHERE p.sleeper_id = a.sleeper_id AND p.from_date <= @date
                        ORDER BY p.from_date DESC LIMIT 1),
                       @date, @start, 0, @at
                FROM (SELECT (SELECT sleeper_id FROM admissions WHERE facility = @facility AND bed = @bed
                                AND from_at <= @start AND (to_at IS NULL OR to_at > @start) LIMIT 1) AS sleeper_id) a
                ON CONFLICT (id) DO NOTHING;
                """,
                P("id", change.Key.Id), P("facility", change.Key.Facility), P("bed", change.Key.Bed), P("date", change.NightDate),
                P("start", Ts(change.Key.Start)), P("at", Ts(at))));
        }

        if (EpochsCommand(changes) is { } epochs)
        {
            batch.BatchCommands.Add(epochs);
        }

        foreach (var change in changes)
        {
            var id = change.Key.Id;
            if (change.Metrics is { } m)
            {
                batch.BatchCommands.Add(Command("""
                    UPDATE nights SET time_in_bed_min = @tib, tst_min = @tst, sleep_efficiency = @se, sol_min = @sol, waso_min = @waso,
                        awakenings = @awakenings, arousal_index = @arousal, sleeping_hr = @hr, hr_dip = @dip, stimulated_min = @stim, metrics = @json
                    WHERE id = @id;
                    """,
                    P("id", id), P("tib", Num(m.TimeInBedMin)), P("tst", Num(m.TotalSleepMin)), P("se", Num(m.SleepEfficiency)),
                    P("sol", Num(m.SleepOnsetLatencyMin)), P("waso", Num(m.WasoMin)), P("awakenings", m.Awakenings), P("arousal", Num(m.ArousalIndex)),
                    P("hr", Num(m.MeanSleepingHr)), P("dip", Num(m.HrDip)), P("stim", Num(m.StimulatedMin)),
                    P("json", JsonSerializer.Serialize(m, HubJsonContext.Default.NightMetrics))));
            }

            if (change.Assessments is { } list)
            {
                batch.BatchCommands.Add(Command("UPDATE nights SET assessments = @json WHERE id = @id;",
                    P("id", id), P("json", JsonSerializer.Serialize(list, SleepersJsonContext.Default.IReadOnlyListNightAssessment))));
            }

            if (change.End is { } ended)
            {
                batch.BatchCommands.Add(Command("UPDATE nights SET end_at = @end WHERE id = @id;", P("id", id), P("end", Ts(ended))));
            }

            batch.BatchCommands.Add(Command("""
                UPDATE nights SET epochs = (SELECT count(*) FROM night_epochs WHERE night_id = @id), updated_at = @at WHERE id = @id;
                """, P("id", id), P("at", Ts(at))));
        }

        return batch.BatchCommands.Count > 0 ? batch.ExecuteNonQuery() : 0;
    });

    /// <summary>Every epoch of the changes as one upsert, the last of any epoch given twice winning (as row-by-row would).</summary>
    private static NpgsqlBatchCommand? EpochsCommand(IReadOnlyList<NightChange> changes)
    {
        var rows = new Dictionary<(string Night, int Index), StoredEpoch>();
        foreach (var change in changes)
        {
            var id = change.Key.Id;
            foreach (var e in change.Epochs)
            {
                rows[(id, e.Index)] = e;
            }
        }

        if (rows.Count == 0)
        {
            return null;
        }

        return Command("""
            INSERT INTO night_epochs (night_id, idx, state, p_sleep, activity, heart_rate, presence, stimulating)
            SELECT * FROM unnest(@night::text[], @idx::integer[], @state::smallint[], @p::double precision[], @activity::double precision[],
                                 @hr::double precision[], @presence::boolean[], @stimulating::boolean[])
            ON CONFLICT (night_id, idx) DO UPDATE SET state = excluded.state, p_sleep = excluded.p_sleep, activity = excluded.activity,
                heart_rate = excluded.heart_rate, presence = excluded.presence, stimulating = excluded.stimulating;
            """,
            P("night", rows.Keys.Select(k => k.Night).ToArray()),
            P("idx", rows.Keys.Select(k => k.Index).ToArray()),
            P("state", rows.Values.Select(e => (short)e.State).ToArray()),
            P("p", rows.Values.Select(e => e.PSleep).ToArray()),
            P("activity", rows.Values.Select(e => Num(e.ActivityCount)).ToArray()),
            P("hr", rows.Values.Select(e => Num(e.HeartRate)).ToArray()),
            P("presence", rows.Values.Select(e => e.Presence).ToArray()),
            P("stimulating", rows.Values.Select(e => e.Stimulating).ToArray()));
    }

    public NightRecord? FindNight(string id) => ReadNights("WHERE id = @id", P("id", id)).FirstOrDefault();

    public IReadOnlyList<NightRecord> SleeperNights(string sleeperId, DateTimeOffset? before, int limit) => ReadNights(
        "WHERE sleeper_id = @sleeper AND (@before::timestamptz IS NULL OR start_at < @before) ORDER BY start_at DESC LIMIT @limit",
        P("sleeper", sleeperId), P("before", Ts(before)), P("limit", limit));

    public IReadOnlyList<NightRecord> BedNights(string facility, string bed, DateTimeOffset from, DateTimeOffset to) => ReadNights(
        "WHERE facility = @facility AND bed = @bed AND start_at >= @from AND start_at < @to ORDER BY start_at",
        P("facility", facility), P("bed", bed), P("from", Ts(from)), P("to", Ts(to)));

    public IReadOnlyList<NightRecord> OpenNights() => ReadNights("WHERE end_at IS NULL ORDER BY start_at");

    public IReadOnlyList<StoredEpoch> NightEpochs(string nightId) => Query(
        "SELECT idx, state, p_sleep, activity, heart_rate, presence, stimulating FROM night_epochs WHERE night_id = @id ORDER BY idx;",
        r => new StoredEpoch(r.GetInt32(0), (EpochState)r.GetInt16(1), r.GetDouble(2), ReadNullableDouble(r, 3), ReadNullableDouble(r, 4),
            r.IsDBNull(5) ? null : r.GetBoolean(5), r.GetBoolean(6)),
        P("id", nightId));

    public DateOnly? LatestNightDate() => Query("SELECT max(night_date) FROM nights;", r => r.IsDBNull(0) ? (DateOnly?)null : r.GetFieldValue<DateOnly>(0))[0];

    public IReadOnlyList<StudyNight> StudyNights(StudyQuery q) => Query(
        // The first night of record of each sleeper is found over all their nights, not only the selected ones.
        """
        SELECT n.sleeper_id, n.facility, n.night_date, n.program, n.start_at = f.first_at, n.stimulated_min, n.tst_min, n.sleep_efficiency,
               n.sol_min, n.waso_min, n.awakenings, n.arousal_index, n.sleeping_hr, n.hr_dip
        FROM nights n
        JOIN (SELECT sleeper_id, min(start_at) AS first_at FROM nights WHERE sleeper_id IS NOT NULL GROUP BY sleeper_id) f ON f.sleeper_id = n.sleeper_id
        WHERE n.end_at IS NOT NULL AND n.night_date >= @from AND n.night_date <= @to
          AND (@facility::text IS NULL OR n.facility = @facility) AND (@program::text IS NULL OR n.program = @program) AND (@sleeper::text IS NULL OR n.sleeper_id = @sleeper)
        ORDER BY n.start_at;
        """,
        r => new StudyNight(r.GetString(0), r.GetString(1), r.GetFieldValue<DateOnly>(2), r.IsDBNull(3) ? SleepProgram.None : SomnisStore.ParseProgram(r.GetString(3)),
            r.GetBoolean(4), ReadNullableDouble(r, 5) ?? 0, ReadNullableDouble(r, 6), ReadNullableDouble(r, 7), ReadNullableDouble(r, 8), ReadNullableDouble(r, 9),
            r.IsDBNull(10) ? null : r.GetInt32(10), ReadNullableDouble(r, 11), ReadNullableDouble(r, 12), ReadNullableDouble(r, 13)),
        P("from", q.From), P("to", q.To), P("facility", q.Facility), P("program", q.Program is { } program ? StudyReport.ProgramName(program) : null),
        P("sleeper", q.SleeperId));

    public IReadOnlyList<FinishedNight> FinishedNights() => Query(
        // Columns only (no JSON): a store kept for 400 days holds hundreds of thousands of nights, all read at start-up.
        """
        SELECT id, facility, bed, sleeper_id, night_date, start_at, end_at, tst_min FROM nights
        WHERE end_at IS NOT NULL AND tst_min IS NOT NULL ORDER BY start_at;
        """,
        r => new FinishedNight(r.GetString(0), r.GetString(1), r.GetString(2), ReadNullableString(r, 3), r.GetFieldValue<DateOnly>(4),
            ReadTs(r, 5), ReadTs(r, 6), r.GetDouble(7)));

    public IReadOnlyList<NightRecord> LatestFinishedNights(int perSleeper) => ReadNights(
        """
        WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY sleeper_id ORDER BY start_at DESC) AS n FROM nights
                                     WHERE sleeper_id IS NOT NULL AND end_at IS NOT NULL) latest WHERE n <= @per)
        ORDER BY sleeper_id, start_at DESC
        """,
        P("per", perSleeper));

    public IReadOnlyList<NightRecord> NightsBetween(DateTimeOffset from, DateTimeOffset to) => ReadNights(
        "WHERE start_at >= @from AND start_at < @to ORDER BY start_at, facility, bed", P("from", Ts(from)), P("to", Ts(to)));

    public int PruneNights(DateTimeOffset before, int maxNights) => Write((c, tx) => Execute(c, tx,
        // Epochs go with their night (ON DELETE CASCADE); a bounded number of nights keeps the transaction short.
        "DELETE FROM nights WHERE id IN (SELECT id FROM nights WHERE start_at < @before ORDER BY start_at LIMIT @max);",
        P("before", Ts(before)), P("max", maxNights)));

    private List<NightRecord> ReadNights(string where, params NpgsqlParameter[] parameters) => Query(
        $"SELECT {NightColumns} FROM nights {where};",
        r => new NightRecord(
            r.GetString(0), r.GetString(1), r.GetString(2), ReadNullableString(r, 3), r.IsDBNull(4) ? null : SomnisStore.ParseProgram(r.GetString(4)),
            r.GetFieldValue<DateOnly>(5), ReadTs(r, 6), ReadNullableTs(r, 7), r.GetInt32(8),
            r.IsDBNull(9) ? null : JsonSerializer.Deserialize(r.GetString(9), HubJsonContext.Default.NightMetrics),
            r.IsDBNull(10) ? [] : JsonSerializer.Deserialize(r.GetString(10), SleepersJsonContext.Default.IReadOnlyListNightAssessment) ?? [],
            ReadTs(r, 11)),
        parameters);

    /// <summary>A number as stored: NaN as NULL, as the embedded file stores it.</summary>
    private static double? Num(double? x) => x is { } v && double.IsNaN(v) ? null : x;
}

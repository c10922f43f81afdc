using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using SQLitePCL;

namespace Somnis.Hub.Storage;

/// <summary>
/// The hub's embedded store: one SQLite file (<c>somnis.db</c> in <c>Hub:DataDirectory</c>) in WAL mode, so the
/// history API reads while the writer commits. This class is the only code that touches the file. Features that need
/// tables (alarms, audit, epochs, night summaries) add a step to <see cref="Migrations"/> and their methods in a
/// <c>SomnisStore.Feature.cs</c> partial file (docs/storage.md).
/// </summary>
internal sealed partial class SomnisStore : IDisposable
{
    public const string FileName = "somnis.db";

    /// <summary>Page cache of the vitals writer's connection, KiB (SQLite's default is 2 MiB).</summary>
    internal const int VitalsCacheKiB = 16 * 1024;

    private readonly string _connectionString;
    private readonly string _writerConnectionString;
    private readonly Lock _vitalsSync = new();
    private SqliteConnection? _vitalsConnection;

    public SomnisStore(IOptions<HubOptions> hub)
    {
        DatabasePath = Path.GetFullPath(Path.Combine(hub.Value.DataDirectory, FileName));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Also the busy timeout: a reader never fails because the writer holds the lock for a moment.
            DefaultTimeout = 30,
        }.ToString();
        _writerConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>Schema version of the file (after <see cref="Migrate"/>: <see cref="Migrations.Latest"/>).</summary>
    public int SchemaVersion
    {
        get
        {
            using var c = Open();
            return UserVersion(c);
        }
    }

    /// <summary>An open connection with the hub's settings. Dispose it (it returns to the pool).</summary>
    public SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // NORMAL in WAL mode: a crash of the hub loses nothing committed; a power cut may lose the last commits.
        // busy_timeout: SQLite's own busy handler waits for the write lock in steps of a few milliseconds. Without it the
        // driver's retry loop sleeps between attempts in steps long enough to show in alarm latency (docs/performance.md,
        // "What was changed", busy_timeout).
        Execute(c, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;");
        return c;
    }

    /// <summary>Brings the file to the latest schema. Refuses a file written by a newer hub (a downgrade).</summary>
    /// <returns>The steps applied (empty when already current).</returns>
    public IReadOnlyList<Migration> Migrate()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        using var c = Open();
        // WAL is a property of the file: set once, it stays.
        Execute(c, "PRAGMA journal_mode = WAL;");
        var current = UserVersion(c);
        if (current > Migrations.Latest)
        {
            throw new InvalidOperationException(
                $"{DatabasePath} has schema version {current} but this hub knows only up to {Migrations.Latest}: it was written by a newer Somnis. " +
                "Run that version again or restore a backup taken before the upgrade (docs/operations.md, \"Upgrade\").");
        }

        var applied = new List<Migration>();
        foreach (var step in Migrations.All.Where(m => m.Version > current).OrderBy(m => m.Version))
        {
            using var tx = c.BeginTransaction();
            Execute(c, step.Sql, tx);
            // user_version lives in the file header and is written inside the transaction: a step applies entirely or not at all.
            Execute(c, $"PRAGMA user_version = {step.Version};", tx);
            tx.Commit();
            applied.Add(step);
        }

        return applied;
    }

    /// <summary>Cheap liveness probe of the file (readiness check).</summary>
    public void Ping()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master;";
        cmd.ExecuteScalar();
    }

    /// <summary>Stores vitals in one transaction; a message stored before (redelivery) is skipped.</summary>
    /// <returns>Rows inserted (duplicates excluded).</returns>
    public int AppendVitals(IReadOnlyList<RecordedVitals> batch)
    {
        var series = new VitalsSeries();
        var rows = batch.Select(r => new VitalsRow(series.IdOf(r.Facility, r.Vitals.Bed), r.Vitals)).ToArray();
        return AppendVitals(rows, series);
    }

    /// <summary>Stores rows of the history queue in one transaction; a message stored before (redelivery) is skipped.</summary>
    /// <returns>Rows inserted (duplicates excluded).</returns>
    public int AppendVitals(ReadOnlySpan<VitalsRow> batch, VitalsSeries series)
    {
        lock (_vitalsSync)
        {
            try
            {
                return AppendVitals(_vitalsConnection ??= OpenVitalsWriter(), batch, series);
            }
            catch
            {
                // Start the next attempt on a fresh connection, whatever state this one was left in.
                _vitalsConnection?.Dispose();
                _vitalsConnection = null;
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_vitalsSync)
        {
            _vitalsConnection?.Dispose();
            _vitalsConnection = null;
        }
    }

    // The vitals writer keeps its own connection, outside the pool, with a bigger page cache. A batch of a 1,000-bed
    // facility touches a leaf page per bed (the key starts with the bed): ~1,000 pages of table and as many of index,
    // twice the default cache, so every batch re-read them from the file (docs/performance.md, "What was changed", page
    // cache).
    private SqliteConnection OpenVitalsWriter()
    {
        var c = new SqliteConnection(_writerConnectionString);
        try
        {
            c.Open();
            // FULL: in WAL mode a NORMAL commit can be undone by a power cut, and this commit is what lets the history
            // journal delete its segment (docs/storage.md). One fsync per batch, every few seconds.
            Execute(c, $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA cache_size = -{VitalsCacheKiB};");
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    private static int AppendVitals(SqliteConnection c, ReadOnlySpan<VitalsRow> batch, VitalsSeries series)
    {
        using var tx = c.BeginTransaction();
        // The hottest write of the hub (one row per accepted message). Through SqliteCommand each row cost a parameter
        // lookup by name (UTF-8 conversion included), boxing of every value and a statement re-scan, the largest single
        // share of the hub's CPU. One prepared statement bound by index does the same in a fraction (docs/performance.md,
        // "What was changed", vitals INSERT).
        var db = c.Handle!;
        Check(raw.sqlite3_prepare_v2(db, """
            INSERT OR IGNORE INTO vitals (bed, facility, ts, seq, interval_s, heart_rate, respiration_rate, activity_count,
                skin_temperature, room_temperature, bed_presence, signal_quality, architect_stimulating, interlock_engaged)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14);
            """, out var stmt), db);
        using (stmt)
        {
            var inserted = 0;
            foreach (ref readonly var v in batch)
            {
                var names = series[v.Series];
                raw.sqlite3_bind_text(stmt, 1, names.BedUtf8);
                raw.sqlite3_bind_text(stmt, 2, names.FacilityUtf8);
                raw.sqlite3_bind_int64(stmt, 3, v.TsMs);
                raw.sqlite3_bind_int64(stmt, 4, v.Seq);
                raw.sqlite3_bind_double(stmt, 5, v.IntervalSeconds);
                BindOptional(stmt, 6, v.HeartRate);
                BindOptional(stmt, 7, v.RespirationRate);
                BindOptional(stmt, 8, v.ActivityCount);
                BindOptional(stmt, 9, v.SkinTemperature);
                BindOptional(stmt, 10, v.RoomTemperature);
                if (v.BedPresence is { } present)
                {
                    raw.sqlite3_bind_int(stmt, 11, present ? 1 : 0);
                }
                else
                {
                    raw.sqlite3_bind_null(stmt, 11);
                }

                raw.sqlite3_bind_double(stmt, 12, v.SignalQuality);
                raw.sqlite3_bind_int(stmt, 13, v.ArchitectStimulating ? 1 : 0);
                raw.sqlite3_bind_int(stmt, 14, v.InterlockEngaged ? 1 : 0);
                var rc = raw.sqlite3_step(stmt);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(rc, db);
                }

                inserted += raw.sqlite3_changes(db);
                raw.sqlite3_reset(stmt);
            }

            tx.Commit();
            return inserted;
        }

        static void BindOptional(sqlite3_stmt stmt, int index, double? value)
        {
            if (value is { } x)
            {
                raw.sqlite3_bind_double(stmt, index, x);
            }
            else
            {
                raw.sqlite3_bind_null(stmt, index);
            }
        }

        static void Check(int rc, sqlite3 db) => SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>The facilities that have history for a bed (normally one).</summary>
    public IReadOnlyList<string> FacilitiesOf(string bed)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT facility FROM vitals WHERE bed = $bed LIMIT 10;";
        cmd.Parameters.AddWithValue("$bed", bed);
        using var r = cmd.ExecuteReader();
        var result = new List<string>();
        while (r.Read())
        {
            result.Add(r.GetString(0));
        }

        return result;
    }

    /// <summary>Device time of a bed's newest stored vitals, or null when it has none.</summary>
    public DateTimeOffset? LatestVitalsTime(string facility, string bed)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT max(ts) FROM vitals WHERE bed = $bed AND facility = $facility;";
        cmd.Parameters.AddWithValue("$bed", bed);
        cmd.Parameters.AddWithValue("$facility", facility);
        return cmd.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>A bed's vitals with <paramref name="from"/> ≤ device time ≤ <paramref name="to"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<VitalsPoint> ReadVitals(string facility, string bed, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT ts, seq, interval_s, heart_rate, respiration_rate, activity_count, skin_temperature, room_temperature,
                   bed_presence, signal_quality, architect_stimulating, interlock_engaged
            FROM vitals
            WHERE bed = $bed AND facility = $facility AND ts >= $from AND ts <= $to
            ORDER BY ts, seq
            LIMIT $limit;
            """;
        cmd.Parameters.AddWithValue("$bed", bed);
        cmd.Parameters.AddWithValue("$facility", facility);
        cmd.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var points = new List<VitalsPoint>();
        while (r.Read())
        {
            points.Add(new VitalsPoint(
                Ts: DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)),
                Seq: r.GetInt64(1),
                IntervalSeconds: r.GetDouble(2),
                HeartRate: NullableDouble(r, 3),
                RespirationRate: NullableDouble(r, 4),
                ActivityCount: NullableDouble(r, 5),
                SkinTemperature: NullableDouble(r, 6),
                RoomTemperature: NullableDouble(r, 7),
                BedPresence: r.IsDBNull(8) ? null : r.GetInt64(8) != 0,
                SignalQuality: r.GetDouble(9),
                ArchitectStimulating: r.GetInt64(10) != 0,
                InterlockEngaged: r.GetInt64(11) != 0));
        }

        return points;
    }

    /// <summary>
    /// A bed's stored vitals after <paramref name="after"/> (device time, exclusive), oldest first, read as they are
    /// enumerated: the history a restarted hub replays through a night's tracker. Only what detection reads is filled in
    /// (sequence number, device time, interval, heart rate, activity, presence, stimulation); device times come back to the
    /// millisecond, as stored.
    /// </summary>
    public IEnumerable<VitalsMessage> VitalsAfter(string facility, string bed, DateTimeOffset after)
    {
        using var c = Open();
        // Through the native API, as AppendVitals, and only the columns detection reads: a restarted hub reads every open
        // night's history before it is ready, and the data reader's per-column bookkeeping was most of that
        // (docs/performance.md, "Restart").
        var db = c.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, """
            SELECT ts, seq, interval_s, heart_rate, activity_count, bed_presence, architect_stimulating
            FROM vitals
            WHERE bed = ?1 AND facility = ?2 AND ts > ?3
            ORDER BY ts, seq;
            """, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        using (stmt)
        {
            raw.sqlite3_bind_text(stmt, 1, bed);
            raw.sqlite3_bind_text(stmt, 2, facility);
            raw.sqlite3_bind_int64(stmt, 3, after.ToUnixTimeMilliseconds());
            while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
            {
                yield return new VitalsMessage
                {
                    Bed = bed, Ts = DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(stmt, 0)), Seq = raw.sqlite3_column_int64(stmt, 1),
                    IntervalSeconds = raw.sqlite3_column_double(stmt, 2), HeartRate = Column(stmt, 3), ActivityCount = Column(stmt, 4),
                    BedPresence = raw.sqlite3_column_type(stmt, 5) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(stmt, 5) != 0,
                    ArchitectStimulating = raw.sqlite3_column_int64(stmt, 6) != 0,
                };
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }

        static double? Column(sqlite3_stmt stmt, int i) => raw.sqlite3_column_type(stmt, i) == raw.SQLITE_NULL ? null : raw.sqlite3_column_double(stmt, i);
    }

    /// <summary>Deletes up to <paramref name="maxRows"/> vitals older than <paramref name="before"/> (device time).</summary>
    /// <returns>Rows deleted; call again while it returns <paramref name="maxRows"/>.</returns>
    public int PruneVitals(DateTimeOffset before, int maxRows)
    {
        using var c = Open();
        // Bed by bed along the primary key (bed, facility, ts, seq): each bed's old rows are one range at the start of
        // its part of the table, and the next bed is one seek past this one's key. No time index is kept for this (it
        // cost every insert: docs/performance.md, "What was changed", time index). Bounded deletes keep each write transaction short, so the vitals
        // writer is never held up for long.
        using var next = c.CreateCommand();
        next.CommandText = "SELECT bed, facility FROM vitals WHERE (bed, facility) > ($bed, $facility) ORDER BY bed, facility LIMIT 1;";
        var nextBed = next.Parameters.AddWithValue("$bed", "");
        var nextFacility = next.Parameters.AddWithValue("$facility", "");
        using var delete = c.CreateCommand();
        delete.CommandText = """
            DELETE FROM vitals WHERE (bed, facility, ts, seq) IN
                (SELECT bed, facility, ts, seq FROM vitals WHERE bed = $bed AND facility = $facility AND ts < $before ORDER BY ts LIMIT $max);
            """;
        var bed = delete.Parameters.AddWithValue("$bed", "");
        var facility = delete.Parameters.AddWithValue("$facility", "");
        delete.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        var max = delete.Parameters.AddWithValue("$max", maxRows);
        var deleted = 0;
        while (deleted < maxRows)
        {
            using (var r = next.ExecuteReader())
            {
                if (!r.Read())
                {
                    break;
                }

                bed.Value = nextBed.Value = r.GetString(0);
                facility.Value = nextFacility.Value = r.GetString(1);
            }

            max.Value = maxRows - deleted;
            deleted += delete.ExecuteNonQuery();
        }

        return deleted;
    }

    private static double? NullableDouble(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    private static int UserVersion(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>One accepted vitals message and the facility it came from (topic level).</summary>
internal readonly record struct RecordedVitals(string Facility, VitalsMessage Vitals);

/// <summary>One stored interval of a bed's vitals, as the history API returns it (units as in <see cref="VitalsMessage"/>).</summary>
public sealed record VitalsPoint(
    DateTimeOffset Ts,
    long Seq,
    double IntervalSeconds,
    double? HeartRate,
    double? RespirationRate,
    double? ActivityCount,
    double? SkinTemperature,
    double? RoomTemperature,
    bool? BedPresence,
    double SignalQuality,
    bool ArchitectStimulating,
    bool InterlockEngaged);

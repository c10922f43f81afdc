namespace Somnis.Hub.Storage;

/// <summary>One schema step. <see cref="Version"/> is the schema version once it is applied (the file's <c>PRAGMA user_version</c>, the
/// shared database's highest <c>schema_version</c> row).</summary>
internal sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The schema of <c>somnis.db</c>, as an append-only list (docs/storage.md, "Changing the schema"). A database at
/// <c>user_version</c> N gets every step above N, each in its own transaction together with the new version number.
/// Never edit or reorder a step that has shipped: add a new one at the end. Two branches that both append here
/// collide in this file on merge, which is the point: renumber one of them.
/// </summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "raw vitals history", """
            -- One row per accepted vitals message. The key makes a redelivered message (QoS 1 duplicate) a no-op while a
            -- restarted device (sequence back to 1, new timestamps) still gets stored; it also serves per-bed time ranges.
            CREATE TABLE vitals (
                bed                   TEXT    NOT NULL,
                facility              TEXT    NOT NULL,
                ts                    INTEGER NOT NULL, -- device time at the end of the interval, Unix milliseconds UTC
                seq                   INTEGER NOT NULL,
                interval_s            REAL    NOT NULL,
                heart_rate            REAL,             -- beats/min
                respiration_rate      REAL,             -- breaths/min
                activity_count        REAL,             -- counts per interval
                skin_temperature      REAL,             -- °C
                room_temperature      REAL,             -- °C
                bed_presence          INTEGER,          -- 0/1, NULL = unknown
                signal_quality        REAL    NOT NULL, -- 0..1
                architect_stimulating INTEGER NOT NULL, -- 0/1
                interlock_engaged     INTEGER NOT NULL, -- 0/1
                PRIMARY KEY (bed, facility, ts, seq)
            ) WITHOUT ROWID;
            -- Retention deletes by time across all beds.
            CREATE INDEX vitals_by_ts ON vitals (ts);
            """),
        new(2, "alarms, append-only audit trail, interlock requests", """
            -- One row per alarm (docs/alarms.md). The whole record is kept as JSON (the API shape); the columns beside it
            -- exist for queries. Shelving lives in the record (shelved_until, shelved_by, reason).
            CREATE TABLE alarms (
                id         TEXT    NOT NULL PRIMARY KEY,
                facility   TEXT    NOT NULL,
                bed        TEXT,                      -- NULL for a facility alarm
                type       TEXT    NOT NULL,
                priority   TEXT    NOT NULL,
                closed     INTEGER NOT NULL,          -- 0/1: returned to normal
                raised_at  INTEGER NOT NULL,          -- hub time, Unix milliseconds UTC
                json       TEXT    NOT NULL
            );
            CREATE INDEX alarms_open ON alarms (closed, facility);
            CREATE INDEX alarms_by_raised ON alarms (raised_at);
            -- Every operator action and state change. Append-only: the triggers refuse UPDATE and DELETE.
            CREATE TABLE audit (
                seq        INTEGER PRIMARY KEY AUTOINCREMENT,
                at         INTEGER NOT NULL,          -- hub time, Unix milliseconds UTC
                event_at   INTEGER,                   -- event (device) time, Unix milliseconds UTC
                facility   TEXT    NOT NULL,
                bed        TEXT,
                alarm_id   TEXT,
                action     TEXT    NOT NULL,
                actor      TEXT    NOT NULL,
                detail     TEXT
            );
            CREATE INDEX audit_by_alarm ON audit (alarm_id);
            CREATE INDEX audit_by_facility ON audit (facility, at);
            CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            -- The latest Architect interlock request per bed (what the hub wants; the edge confirms through its data).
            CREATE TABLE interlock (
                facility     TEXT    NOT NULL,
                bed          TEXT    NOT NULL,
                engaged      INTEGER NOT NULL,
                command_id   TEXT    NOT NULL,
                issued_by    TEXT    NOT NULL,
                requested_at INTEGER NOT NULL,
                reason       TEXT,
                confirmed_at INTEGER,
                PRIMARY KEY (facility, bed)
            ) WITHOUT ROWID;
            """),
        new(3, "alarms by the device time they were raised", """
            -- Night reports find a night's alarms by the sleeper's clock (device time), which can be far from the hub's
            -- (replayed or accelerated data). Existing rows are filled from the record's raisedEventTime.
            ALTER TABLE alarms ADD COLUMN raised_event_at INTEGER;   -- event (device) time, Unix milliseconds UTC
            UPDATE alarms SET raised_event_at = CAST(ROUND((julianday(json_extract(json, '$.raisedEventTime')) - 2440587.5) * 86400000) AS INTEGER);
            CREATE INDEX alarms_by_raised_event ON alarms (raised_event_at);
            """),
        new(4, "vitals retention along the primary key", """
            -- The time index cost every vitals insert a second B-tree (a page per bed per batch) and a quarter of the file,
            -- for an hourly delete: retention now walks the beds along the primary key instead (docs/storage.md).
            DROP INDEX vitals_by_ts;
            """),
        new(5, "sleepers, programs, admissions, nights of record", """
            -- Sleepers (clients of the facility) and their program history (docs/storage.md, "Sleepers and nights").
            CREATE TABLE sleepers (
                id         TEXT    NOT NULL PRIMARY KEY, -- Identifiers rule, like beds
                name       TEXT    NOT NULL,
                notes      TEXT,
                created_at INTEGER NOT NULL               -- hub time, Unix milliseconds UTC
            );
            -- A program from a facility-local calendar date on; '0001-01-01' = since before any night of record.
            CREATE TABLE sleeper_programs (
                sleeper_id TEXT    NOT NULL REFERENCES sleepers (id),
                from_date  TEXT    NOT NULL,              -- yyyy-MM-dd, compared as text
                program    TEXT    NOT NULL CHECK (program IN ('architect', 'companions', 'none')),
                changed_at INTEGER NOT NULL,              -- hub time, Unix milliseconds UTC
                changed_by TEXT    NOT NULL,
                PRIMARY KEY (sleeper_id, from_date)
            ) WITHOUT ROWID;
            -- A sleeper in a bed for a period of event (device) time: [from_ms, to_ms), to_ms NULL while admitted.
            CREATE TABLE admissions (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                facility   TEXT    NOT NULL,
                bed        TEXT    NOT NULL,
                sleeper_id TEXT    NOT NULL REFERENCES sleepers (id),
                from_ms    INTEGER NOT NULL,
                to_ms      INTEGER,
                CHECK (to_ms IS NULL OR to_ms > from_ms)
            );
            CREATE INDEX admissions_by_bed ON admissions (facility, bed, from_ms);
            CREATE INDEX admissions_by_sleeper ON admissions (sleeper_id, from_ms);
            -- One sleeper per bed and one bed per sleeper at a time, whatever the code above the store does.
            CREATE UNIQUE INDEX admissions_open_bed ON admissions (facility, bed) WHERE to_ms IS NULL;
            CREATE UNIQUE INDEX admissions_open_sleeper ON admissions (sleeper_id) WHERE to_ms IS NULL;
            -- One row per night of a bed, written while it goes on. The id is '{facility}/{bed}/{start_ms}', so every
            -- restart (and every node) upserts the same row. sleeper_id NULL = unassigned; program is the sleeper's
            -- program on night_date (re-derived when programs or admissions change). Metric columns are the study's.
            CREATE TABLE nights (
                id               TEXT    NOT NULL PRIMARY KEY,
                facility         TEXT    NOT NULL,
                bed              TEXT    NOT NULL,
                sleeper_id       TEXT    REFERENCES sleepers (id),
                program          TEXT,
                night_date       TEXT    NOT NULL,    -- yyyy-MM-dd: facility-local date of the evening (NightCalendar)
                start_ms         INTEGER NOT NULL,    -- lights-off, device time, Unix milliseconds UTC
                end_ms           INTEGER,             -- NULL while the night goes on
                epochs           INTEGER NOT NULL,    -- 30-s epochs stored
                time_in_bed_min  REAL,
                tst_min          REAL,
                sleep_efficiency REAL,                -- 0..1
                sol_min          REAL,
                waso_min         REAL,
                awakenings       INTEGER,
                arousal_index    REAL,                -- awakenings per hour of sleep
                sleeping_hr      REAL,                -- bpm
                hr_dip           REAL,                -- 0..1
                stimulated_min   REAL,                -- Architect stimulation
                metrics          TEXT,                -- the whole NightMetrics record, JSON
                assessments      TEXT,                -- JSON list: type, start, end, summary, evidence
                updated_at       INTEGER NOT NULL     -- hub time, Unix milliseconds UTC
            );
            CREATE INDEX nights_by_sleeper ON nights (sleeper_id, start_ms);
            CREATE INDEX nights_by_bed ON nights (facility, bed, start_ms);
            CREATE INDEX nights_by_date ON nights (night_date);
            CREATE INDEX nights_by_start ON nights (start_ms);
            CREATE INDEX nights_open ON nights (end_ms) WHERE end_ms IS NULL;
            -- The hypnogram: one row per 30-s epoch, idx = (epoch start - night start) / 30 s.
            CREATE TABLE night_epochs (
                night_id    TEXT    NOT NULL REFERENCES nights (id) ON DELETE CASCADE,
                idx         INTEGER NOT NULL,
                state       INTEGER NOT NULL,         -- 0 sleep, 1 wake, 2 out of bed
                p_sleep     REAL    NOT NULL,         -- 0..1
                activity    REAL,                     -- counts per epoch
                heart_rate  REAL,                     -- bpm, epoch mean
                presence    INTEGER,                  -- 0/1, NULL = unknown
                stimulating INTEGER NOT NULL,         -- 0/1
                PRIMARY KEY (night_id, idx)
            ) WITHOUT ROWID;
            """),
        new(6, "users who may sign in", """
            -- The users (docs/operations.md, "Users"). Auth:Users seeds the table while it is empty; after that it is the truth.
            CREATE TABLE users (
                name          TEXT    NOT NULL PRIMARY KEY,  -- exact spelling, as signed in
                role          TEXT    NOT NULL CHECK (role IN ('technician', 'supervisor')),
                password_hash TEXT    NOT NULL,              -- PasswordHasher v3 (base64), or the older pbkdf2-sha256$… until the next sign-in
                stamp         TEXT    NOT NULL,              -- security stamp: replaced on every role or password change, ends sessions
                created_at    INTEGER NOT NULL,              -- hub time, Unix milliseconds UTC
                created_by    TEXT    NOT NULL
            ) WITHOUT ROWID;
            -- Unique ignoring case: no 'Tess' beside 'tess'.
            CREATE UNIQUE INDEX users_name_nocase ON users (name COLLATE NOCASE);
            """),
    ];

    public static int Latest => All[^1].Version;
}

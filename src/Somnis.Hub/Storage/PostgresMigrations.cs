namespace Somnis.Hub.Storage;

/// <summary>
/// The schema of the shared PostgreSQL store, as an append-only list like <see cref="Migrations"/> (docs/storage.md,
/// "Changing the schema"): a database whose <c>schema_version</c> says N gets every step above N, each in its own
/// transaction together with its row in <c>schema_version</c> (PostgreSQL's DDL is transactional). Never edit or reorder
/// a step that has shipped: add a new one at the end. The numbering is this list's own, not the SQLite file's: it holds
/// the shared state only (raw vitals stay in each node's file). A feature that adds a table to <c>somnis.db</c> for shared
/// state adds its PostgreSQL twin here, and its methods in a <c>PostgresStore.Feature.cs</c> partial file.
/// </summary>
/// <remarks>Types: times are <c>timestamptz</c> written with millisecond precision (what the SQLite file keeps), dates
/// <c>date</c>, flags <c>boolean</c>; alarm records and night metrics stay JSON text, byte for byte what the API shows.
/// Identifiers (ids, facilities, beds, types) are <c>COLLATE "C"</c>: byte order, as in SQLite, whatever the database's
/// locale, so lists come back in the same order from both stores.</remarks>
internal static class PostgresMigrations
{
    /// <summary>Created before the first step; one row per step applied.</summary>
    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "alarms, append-only audit trail, interlock requests", """
            -- One row per alarm (docs/alarms.md): the whole record as JSON (the API shape), columns beside it for queries.
            -- Shelving lives in the record (shelvedUntil, shelvedBy, shelveReason).
            CREATE TABLE alarms (
                id              text COLLATE "C" NOT NULL PRIMARY KEY,
                facility        text COLLATE "C" NOT NULL,
                bed             text COLLATE "C",     -- NULL for a facility alarm
                type            text COLLATE "C" NOT NULL,
                priority        text        NOT NULL,
                closed          boolean     NOT NULL, -- returned to normal
                raised_at       timestamptz NOT NULL, -- hub time
                raised_event_at timestamptz NOT NULL, -- event (device) time
                json            text        NOT NULL
            );
            CREATE INDEX alarms_open ON alarms (facility) WHERE NOT closed;
            CREATE INDEX alarms_by_raised ON alarms (raised_at);
            CREATE INDEX alarms_by_raised_event ON alarms (raised_event_at);
            -- Every operator action and state change. Append-only: the trigger refuses UPDATE, DELETE and TRUNCATE.
            CREATE TABLE audit (
                seq      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at       timestamptz NOT NULL, -- hub time
                event_at timestamptz,          -- event (device) time
                facility text COLLATE "C" NOT NULL,
                bed      text COLLATE "C",
                alarm_id text COLLATE "C",
                action   text        NOT NULL,
                actor    text        NOT NULL,
                detail   text
            );
            CREATE INDEX audit_by_alarm ON audit (alarm_id);
            CREATE INDEX audit_by_facility ON audit (facility, at);
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only';
            END $$;
            CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
            CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
            -- The latest Architect interlock request per bed (what the hub wants; the edge confirms through its data).
            CREATE TABLE interlock (
                facility     text COLLATE "C" NOT NULL,
                bed          text COLLATE "C" NOT NULL,
                engaged      boolean     NOT NULL,
                command_id   text COLLATE "C" NOT NULL,
                issued_by    text        NOT NULL,
                requested_at timestamptz NOT NULL,
                reason       text,
                confirmed_at timestamptz,
                PRIMARY KEY (facility, bed)
            );
            """),
        new(2, "sleepers, programs, admissions, nights of record", """
            -- Sleepers (clients of the facility) and their program history (docs/storage.md, "Sleepers and nights").
            CREATE TABLE sleepers (
                id         text COLLATE "C" NOT NULL PRIMARY KEY, -- Identifiers rule, like beds
                name       text        NOT NULL,
                notes      text,
                created_at timestamptz NOT NULL                   -- hub time
            );
            -- A program from a facility-local calendar date on; -infinity = since before any night of record.
            CREATE TABLE sleeper_programs (
                sleeper_id text COLLATE "C" NOT NULL REFERENCES sleepers (id),
                from_date  date        NOT NULL,
                program    text        NOT NULL CHECK (program IN ('architect', 'companions', 'none')),
                changed_at timestamptz NOT NULL,
                changed_by text        NOT NULL,
                PRIMARY KEY (sleeper_id, from_date)
            );
            -- A sleeper in a bed for a period of event (device) time: [from_at, to_at), to_at NULL while admitted.
            CREATE TABLE admissions (
                id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                facility   text COLLATE "C" NOT NULL,
                bed        text COLLATE "C" NOT NULL,
                sleeper_id text COLLATE "C" NOT NULL REFERENCES sleepers (id),
                from_at    timestamptz NOT NULL,
                to_at      timestamptz,
                CHECK (to_at IS NULL OR to_at > from_at)
            );
            CREATE INDEX admissions_by_bed ON admissions (facility, bed, from_at);
            CREATE INDEX admissions_by_sleeper ON admissions (sleeper_id, from_at);
            -- One sleeper per bed and one bed per sleeper at a time, whatever the code above the store does.
            CREATE UNIQUE INDEX admissions_open_bed ON admissions (facility, bed) WHERE to_at IS NULL;
            CREATE UNIQUE INDEX admissions_open_sleeper ON admissions (sleeper_id) WHERE to_at IS NULL;
            -- One row per night of a bed, written while it goes on. The id is '{facility}/{bed}/{start, Unix ms}', so every
            -- restart and every node upserts the same row. sleeper_id NULL = unassigned; program is the sleeper's program
            -- on night_date (re-derived when programs or admissions change). Metric columns are the study's.
            CREATE TABLE nights (
                id               text COLLATE "C" NOT NULL PRIMARY KEY,
                facility         text COLLATE "C" NOT NULL,
                bed              text COLLATE "C" NOT NULL,
                sleeper_id       text COLLATE "C" REFERENCES sleepers (id),
                program          text,
                night_date       date        NOT NULL, -- facility-local date of the evening (NightCalendar)
                start_at         timestamptz NOT NULL, -- lights-off, device time
                end_at           timestamptz,          -- NULL while the night goes on
                epochs           integer     NOT NULL, -- 30-s epochs stored
                time_in_bed_min  double precision,
                tst_min          double precision,
                sleep_efficiency double precision,     -- 0..1
                sol_min          double precision,
                waso_min         double precision,
                awakenings       integer,
                arousal_index    double precision,     -- awakenings per hour of sleep
                sleeping_hr      double precision,     -- bpm
                hr_dip           double precision,     -- 0..1
                stimulated_min   double precision,     -- Architect stimulation
                metrics          text,                 -- the whole NightMetrics record, JSON
                assessments      text,                 -- JSON list: type, start, end, summary, evidence
                updated_at       timestamptz NOT NULL  -- hub time
            );
            CREATE INDEX nights_by_sleeper ON nights (sleeper_id, start_at);
            CREATE INDEX nights_by_bed ON nights (facility, bed, start_at);
            CREATE INDEX nights_by_date ON nights (night_date);
            CREATE INDEX nights_by_start ON nights (start_at);
            CREATE INDEX nights_open ON nights (start_at) WHERE end_at IS NULL;
            -- The hypnogram: one row per 30-s epoch, idx = (epoch start - night start) / 30 s.
            CREATE TABLE night_epochs (
                night_id    text COLLATE "C" NOT NULL REFERENCES nights (id) ON DELETE CASCADE,
                idx         integer          NOT NULL,
                state       smallint         NOT NULL, -- 0 sleep, 1 wake, 2 out of bed
                p_sleep     double precision NOT NULL, -- 0..1
                activity    double precision,          -- counts per epoch
                heart_rate  double precision,          -- bpm, epoch mean
                presence    boolean,                   -- NULL = unknown
                stimulating boolean          NOT NULL,
                PRIMARY KEY (night_id, idx)
            );
            """),
        new(3, "users who may sign in", """
            -- The users (docs/operations.md, "Users"), shared by every hub node. Auth:Users seeds the table while it is empty;
            -- after that it is the truth. Names are ASCII (UserNames), so lower() folds case as SQLite's NOCASE does.
            CREATE TABLE users (
                name          text COLLATE "C" NOT NULL PRIMARY KEY, -- exact spelling, as signed in
                role          text        NOT NULL CHECK (role IN ('technician', 'supervisor')),
                password_hash text        NOT NULL,                  -- PasswordHasher v3 (base64), or the older pbkdf2-sha256$…
                stamp         text        NOT NULL,                  -- security stamp: replaced on every role or password change
                created_at    timestamptz NOT NULL,                  -- hub time
                created_by    text        NOT NULL
            );
            -- Unique ignoring case: no 'Tess' beside 'tess'.
            CREATE UNIQUE INDEX users_name_nocase ON users (lower(name));
            """),
        new(4, "lease of the active hub, hub nodes, cookie keys", """
            -- The lease of the active hub (docs/high-availability.md, "Lease and fencing"): one row. term grows by one at every
            -- acquisition and is the fencing token every shared write checks; times are the database's clock (now()).
            CREATE TABLE lease (
                name        text COLLATE "C" NOT NULL PRIMARY KEY,
                holder      text COLLATE "C",                             -- node name, NULL when released
                instance    text COLLATE "C",                             -- process of the holder (a restarted node is another)
                term        bigint      NOT NULL DEFAULT 0,
                acquired_at timestamptz,
                renewed_at  timestamptz,
                expires_at  timestamptz NOT NULL DEFAULT '-infinity'
            );
            INSERT INTO lease (name) VALUES ('active');
            -- Every hub node that has run, with its last heartbeat (GET /api/cluster; two running nodes with one name are refused).
            CREATE TABLE nodes (
                node       text COLLATE "C" NOT NULL PRIMARY KEY,
                instance   text COLLATE "C" NOT NULL,
                url        text,
                role       text        NOT NULL,
                started_at timestamptz NOT NULL,
                last_seen  timestamptz NOT NULL
            );
            -- ASP.NET Core Data Protection key ring, shared so a sign-in cookie of one node is valid on every node.
            CREATE TABLE dataprotection_keys (
                name       text COLLATE "C" NOT NULL PRIMARY KEY,
                xml        text        NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            """),
    ];

    public static int Latest => All[^1].Version;
}

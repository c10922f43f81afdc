using System.Data.Common;
using System.Text.Json;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

namespace Somnis.Integration.Tests.Storage;

/// <summary>
/// The behaviour every store of the shared state keeps, whatever its engine: each test runs against the embedded SQLite
/// file (<see cref="SqliteStoreContractTests"/>) and a real PostgreSQL (<see cref="PostgresStoreContractTests"/>), on a
/// fresh, migrated store. Every method of <see cref="IAlarmStore"/>, <see cref="ISleeperStore"/> and
/// <see cref="INightStore"/> is exercised here, and of <see cref="IUserStore"/> in StoreContractTests.Users.cs. Times are whole milliseconds (what both stores keep).
/// </summary>
public abstract partial class StoreContractTests
{
    private protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    private protected abstract IAlarmStore Alarms { get; }

    private protected abstract ISleeperStore Sleepers { get; }

    private protected abstract INightStore Nights { get; }

    private protected abstract IUserStore Users { get; }

    /// <summary>Runs a statement directly on the store's database (to check what the schema itself refuses).</summary>
    private protected abstract void Execute(string sql);

    /// <summary>Makes the database refuse (as a constraint violation) any audit entry with this action, so that a write can
    /// be made to fail half-way.</summary>
    private protected abstract void RefuseAuditAction(string action);

    private static AuditEntry Audit(string action, string facility = "*", string? bed = null, string? alarm = null, DateTimeOffset? at = null) =>
        new(0, at ?? T0, null, facility, bed, alarm, action, "test", null);

    private static Alarm NewAlarm(string id, string bed = "bed-01", string type = "edge-offline", string priority = AlarmPriorities.Medium,
        DateTimeOffset? raised = null, string facility = "nexus") => new()
        {
            Id = id,
            Facility = facility,
            Bed = bed,
            Type = type,
            Priority = priority,
            Class = "technical",
            Active = true,
            RaisedAt = raised ?? T0,
            RaisedEventTime = (raised ?? T0).AddMinutes(-1),
            AnnouncedAt = raised ?? T0,
            LastEventTime = (raised ?? T0).AddMinutes(-1),
            Summary = $"{type} on {bed}",
            Evidence = JsonDocument.Parse("""{"silentFor":"00:02:00","lastSeq":41,"quality":0.25}""").RootElement,
        };

    private static string Json(Alarm? a) => a is null ? "null" : JsonSerializer.Serialize(a, HubJsonContext.Default.Alarm);

    private int AuditCount() => Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 10_000)).Count;

    private Sleeper CreateSleeper(string id, SleepProgram program = SleepProgram.Architect)
    {
        var s = new Sleeper(id, id.ToUpperInvariant(), null, [new ProgramEntry(program, null)]);
        Assert.True(Sleepers.CreateSleeper(s, Audit("sleeper-created")));
        return s;
    }

    private Admission Admit(string sleeper, string bed, DateTimeOffset from, string facility = "nexus") =>
        Sleepers.ApplyAdmission(new AdmissionChange(null, new Admission(0, facility, bed, sleeper, from, null), [Audit("admit", facility, bed)]));

    private static NightMetrics Metrics(double tst, double stimulated) => new(
        TimeInBedMin: 480, TotalSleepMin: tst, SleepEfficiency: tst / 480, SleepOnsetLatencyMin: 15, WasoMin: 480 - tst - 15, Awakenings: 4,
        ArousalIndex: 4 / (tst / 60), MeanSleepingHr: 55, MeanWakingHr: 66, HrDip: 11 / 66.0, StimulatedMin: stimulated,
        EfficiencyStimulated: null, EfficiencyUnstimulated: null, NeedHours: 7, IsShort: tst < 420);

    /// <summary>A finished night with three epochs, as the night writer stores one.</summary>
    private NightKey WriteNight(string bed, DateTimeOffset start, double tst, double stimulated, IReadOnlyList<NightAssessment>? assessments = null)
    {
        var key = new NightKey("nexus", bed, start);
        StoredEpoch[] epochs =
        [
            new(0, EpochState.Wake, 0.2, 12, 64, true, false),
            new(1, EpochState.Sleep, 0.9, 0, 55, true, stimulated > 0),
            new(2, EpochState.Sleep, 0.95, null, null, null, false),
        ];
        Nights.WriteNights([new NightChange(key, DateOnly.FromDateTime(start.UtcDateTime), epochs, Metrics(tst, stimulated), assessments, start.AddHours(8))],
            start.AddHours(8));
        return key;
    }

    [Fact]
    public void An_alarm_round_trips_byte_for_byte_each_save_replaces_it_and_a_closed_one_leaves_the_open_list()
    {
        var raised = NewAlarm("a-1");
        Alarms.Save(raised, [Audit("raised", "nexus", "bed-01", "a-1")]);
        Assert.Equal(Json(raised), Json(Alarms.FindAlarm("a-1")));
        Assert.Equal([Json(raised)], Alarms.LoadOpen().Select(Json));

        var acked = raised with { Acknowledged = true, AckedBy = "tess", AckedAt = T0.AddMinutes(2), AckComment = "on it", ShelvedUntil = T0.AddHours(1), ShelvedBy = "sam" };
        Alarms.Save(acked, [Audit("acknowledged", "nexus", "bed-01", "a-1"), Audit("shelved", "nexus", "bed-01", "a-1")]);
        Assert.Equal(Json(acked), Json(Assert.Single(Alarms.LoadOpen())));

        var closed = acked with { Closed = true, Active = false, ClearedAt = T0.AddMinutes(5), Priority = AlarmPriorities.High };
        Alarms.Save(closed, []);
        Assert.Empty(Alarms.LoadOpen());
        Assert.Equal(Json(closed), Json(Alarms.FindAlarm("a-1")));
        Assert.Null(Alarms.FindAlarm("a-2"));
        Assert.Equal(["raised", "acknowledged", "shelved"], Alarms.QueryAudit(new AuditFilter(null, null, "a-1", null, null, 100)).Select(a => a.Action));
    }

    [Fact]
    public void Several_changes_are_written_all_or_none_and_a_refused_write_is_a_conflict_of_the_store()
    {
        Alarms.SaveMany([new AlarmChange(NewAlarm("a-1"), [Audit("raised", alarm: "a-1")]), new AlarmChange(null, [Audit("escalated", alarm: "a-1")])]);
        Assert.Equal(2, AuditCount());

        // The last entry of the batch is refused: the alarm and the entry before it are not stored either.
        RefuseAuditAction("forbidden");
        var ex = Assert.ThrowsAny<DbException>(() => Alarms.SaveMany(
            [new AlarmChange(NewAlarm("a-2"), [Audit("raised", alarm: "a-2")]), new AlarmChange(null, [Audit("forbidden", alarm: "a-2")])]));
        Assert.True(StoreErrors.IsConflict(ex), ex.Message);
        Assert.False(ex.IsTransient);
        Assert.Null(Alarms.FindAlarm("a-2"));
        Assert.Equal(2, AuditCount());
    }

    [Fact]
    public void Alarms_are_queried_by_facility_bed_type_priority_state_and_device_time_newest_first()
    {
        Alarm[] alarms =
        [
            NewAlarm("a-1", "bed-01", "edge-offline", AlarmPriorities.Low, T0),
            NewAlarm("a-2", "bed-02", "deprivation", AlarmPriorities.High, T0.AddMinutes(1)),
            NewAlarm("a-3", "bed-01", "deprivation", AlarmPriorities.High, T0.AddMinutes(2)) with { Closed = true },
            NewAlarm("a-4", "bed-01", "edge-offline", AlarmPriorities.Medium, T0.AddMinutes(3), facility: "annex"),
            NewAlarm("a-5", "bed-03", "stale-data", AlarmPriorities.Medium, T0.AddMinutes(4)) with { Bed = null },
        ];
        Alarms.SaveMany([.. alarms.Select(a => new AlarmChange(a, []))]);

        string[] Ids(AlarmFilter f) => [.. Alarms.QueryAlarms(f).Select(a => a.Id)];
        Assert.Equal(["a-5", "a-4", "a-3", "a-2", "a-1"], Ids(new AlarmFilter(null, null, null, null, null, 100)));
        Assert.Equal(["a-5", "a-4"], Ids(new AlarmFilter(null, null, null, null, null, 2)));
        Assert.Equal(["a-5", "a-3", "a-2", "a-1"], Ids(new AlarmFilter("nexus", null, null, null, null, 100)));
        Assert.Equal(["a-4", "a-3", "a-1"], Ids(new AlarmFilter(null, "bed-01", null, null, null, 100)));
        Assert.Equal(["a-3", "a-2"], Ids(new AlarmFilter(null, null, "deprivation", null, null, 100)));
        Assert.Equal(["a-5", "a-4"], Ids(new AlarmFilter(null, null, null, AlarmPriorities.Medium, null, 100)));
        Assert.Equal(["a-3"], Ids(new AlarmFilter(null, null, null, null, AlarmStates.Cleared, 100)));
        // Device time: raised 1 minute before the hub time; the range is [from, to).
        Assert.Equal(["a-3", "a-2"], Ids(new AlarmFilter(null, null, null, null, null, 100, T0, T0.AddMinutes(2))));
        Assert.Equal(["a-5", "a-4", "a-2", "a-1"], Alarms.LoadOpen().Select(a => a.Id).Reverse());
    }

    [Fact]
    public void The_audit_trail_is_filtered_and_the_newest_entries_within_the_limit_come_oldest_first()
    {
        Alarms.SaveMany(
        [
            new AlarmChange(null, [Audit("raised", "nexus", "bed-01", "a-1", T0) with { EventTime = T0.AddSeconds(-30), Detail = "why" }]),
            new AlarmChange(null, [Audit("architect-pause-requested", "nexus", "bed-01", null, T0.AddMinutes(1))]),
            new AlarmChange(null, [Audit("architect-pause-confirmed", "nexus", "bed-01", null, T0.AddMinutes(2))]),
            new AlarmChange(null, [Audit("acknowledged", "nexus", "bed-02", "a-2", T0.AddMinutes(3))]),
            new AlarmChange(null, [Audit("sleeper-created", "annex", null, null, T0.AddMinutes(4))]),
        ]);

        var all = Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 100));
        Assert.Equal(5, all.Count);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Seq < p.Second.Seq));
        var first = all[0];
        Assert.Equal((T0, T0.AddSeconds(-30), "nexus", "bed-01", "a-1", "raised", "test", "why"),
            (first.At, first.EventTime, first.Facility, first.Bed, first.AlarmId, first.Action, first.Actor, first.Detail));
        Assert.Null(all[^1].Bed);

        string[] Actions(AuditFilter f) => [.. Alarms.QueryAudit(f).Select(a => a.Action)];
        Assert.Equal(["acknowledged", "sleeper-created"], Actions(new AuditFilter(null, null, null, null, null, 2)));
        Assert.Equal(["sleeper-created"], Actions(new AuditFilter("annex", null, null, null, null, 100)));
        Assert.Equal(["acknowledged"], Actions(new AuditFilter(null, "bed-02", null, null, null, 100)));
        Assert.Equal(["raised"], Actions(new AuditFilter(null, null, "a-1", null, null, 100)));
        Assert.Equal(["architect-pause-requested", "architect-pause-confirmed", "acknowledged"],
            Actions(new AuditFilter(null, null, null, T0.AddMinutes(1), T0.AddMinutes(3), 100)));
        Assert.Equal(["architect-pause-requested", "architect-pause-confirmed"], Actions(new AuditFilter("nexus", null, null, null, null, 100, "architect-")));
    }

    [Fact]
    public void The_audit_trail_is_append_only_in_the_schema_itself()
    {
        Alarms.Save(null, [Audit("raised")]);
        Assert.ThrowsAny<DbException>(() => Execute("UPDATE audit SET actor = 'someone else';"));
        Assert.ThrowsAny<DbException>(() => Execute("DELETE FROM audit;"));
        Assert.Equal("test", Assert.Single(Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 10))).Actor);
    }

    [Fact]
    public void The_latest_interlock_request_of_each_bed_is_kept()
    {
        Assert.Empty(Alarms.LoadInterlocks());
        var pause = new InterlockRequest("nexus", "bed-01", true, "c-1", "sam", T0, "deprived", null);
        Alarms.SaveInterlock(pause);
        Alarms.SaveInterlock(pause with { ConfirmedAt = T0.AddSeconds(12) });
        var other = new InterlockRequest("nexus", "bed-02", true, "c-2", "system", T0.AddMinutes(1), null, null);
        Alarms.SaveInterlock(other);
        Alarms.SaveInterlock(pause with { Engaged = false, CommandId = "c-3", RequestedAt = T0.AddMinutes(5), Reason = null, ConfirmedAt = null });
        Assert.Equal(
            [pause with { Engaged = false, CommandId = "c-3", RequestedAt = T0.AddMinutes(5), Reason = null, ConfirmedAt = null }, other],
            Alarms.LoadInterlocks().OrderBy(r => r.Bed));
    }

    [Fact]
    public void A_taken_sleeper_id_writes_nothing_and_sleepers_are_listed_by_id_in_byte_order()
    {
        CreateSleeper("b-1");
        var audits = AuditCount();
        Assert.False(Sleepers.CreateSleeper(new Sleeper("b-1", "Other", "notes", [new ProgramEntry(SleepProgram.None, null)]), Audit("sleeper-created")));
        Assert.Equal(("B-1", null), (Sleepers.FindSleeper("b-1")!.Name, Sleepers.FindSleeper("b-1")!.Notes));
        Assert.Equal(audits, AuditCount());
        Assert.Null(Sleepers.FindSleeper("nobody"));

        Assert.True(Sleepers.CreateSleeper(new Sleeper("b1", "B One", "likes the window", [new ProgramEntry(SleepProgram.Companions, null)]), Audit("sleeper-created")));
        CreateSleeper("b-10");
        CreateSleeper("a");
        Assert.Equal(["a", "b-1", "b-10", "b1"], Sleepers.Sleepers().Select(s => s.Id));
        var b1 = Sleepers.FindSleeper("b1")!;
        Assert.Equal(("B One", "likes the window"), (b1.Name, b1.Notes));
        Assert.Equal([new ProgramEntry(SleepProgram.Companions, null)], b1.Programs);
    }

    [Fact]
    public void Program_history_round_trips_and_a_change_re_derives_the_program_of_stored_nights()
    {
        CreateSleeper("ada", SleepProgram.Architect);
        Admit("ada", "bed-01", T0.AddDays(-1));
        var early = WriteNight("bed-01", T0, 400, 60);
        var late = WriteNight("bed-01", T0.AddDays(4), 430, 0);
        Assert.Equal(SleepProgram.Architect, Nights.FindNight(late.Id)!.Program);

        Sleepers.AddProgram("ada", new ProgramEntry(SleepProgram.Companions, new DateOnly(2026, 3, 3)), Audit("program-changed"));
        var ada = Sleepers.FindSleeper("ada")!;
        Assert.Equal([new ProgramEntry(SleepProgram.Architect, null), new ProgramEntry(SleepProgram.Companions, new DateOnly(2026, 3, 3))], ada.Programs);
        Assert.Equal(SleepProgram.Architect, Nights.FindNight(early.Id)!.Program);
        Assert.Equal(SleepProgram.Companions, Nights.FindNight(late.Id)!.Program);
        Assert.Equal(["sleeper-created", "admit", "program-changed"], Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 100)).Select(a => a.Action));
    }

    [Fact]
    public void A_night_belongs_to_the_sleeper_admitted_at_its_start_and_an_unassigned_night_to_whoever_is_admitted_during_it()
    {
        CreateSleeper("ada");
        CreateSleeper("ben", SleepProgram.Companions);
        var before = WriteNight("bed-01", T0.AddDays(-2), 400, 0);
        var tonight = new NightKey("nexus", "bed-01", T0);
        Nights.WriteNights([new NightChange(tonight, new DateOnly(2026, 3, 1), [], null, null, null)], T0);
        Assert.Null(Nights.FindNight(tonight.Id)!.SleeperId);

        Admit("ben", "bed-01", T0.AddHours(2));
        var assigned = Nights.FindNight(tonight.Id)!;
        Assert.Equal(("ben", SleepProgram.Companions), (assigned.SleeperId, assigned.Program));
        Assert.Null(Nights.FindNight(before.Id)!.SleeperId);

        // A later write of tonight keeps the sleeper; a night that starts while someone is admitted is theirs at once.
        Nights.WriteNights([new NightChange(tonight, new DateOnly(2026, 3, 1), [], Metrics(100, 0), null, null)], T0.AddHours(3));
        Assert.Equal("ben", Nights.FindNight(tonight.Id)!.SleeperId);
        var tomorrow = Nights.FindNight(WriteNight("bed-01", T0.AddDays(1), 400, 0).Id)!;
        Assert.Equal(("ben", SleepProgram.Companions), (tomorrow.SleeperId, tomorrow.Program));
        Assert.Equal("ben", Sleepers.AdmissionAt("nexus", "bed-01", T0.AddHours(2))!.SleeperId);
        Assert.Null(Sleepers.AdmissionAt("nexus", "bed-01", T0.AddHours(1.9)));
        Assert.Null(Sleepers.AdmissionAt("nexus", "bed-02", T0.AddHours(3)));
    }

    [Fact]
    public void The_store_itself_refuses_a_second_open_admission_of_a_bed_or_a_sleeper_and_audits_nothing()
    {
        CreateSleeper("ada");
        CreateSleeper("ben");
        var first = Admit("ada", "bed-01", T0);
        Assert.True(first.Id > 0);
        var audits = AuditCount();
        Assert.True(StoreErrors.IsConflict(Assert.ThrowsAny<DbException>(() => Admit("ben", "bed-01", T0.AddHours(1)))));
        Assert.True(StoreErrors.IsConflict(Assert.ThrowsAny<DbException>(() => Admit("ada", "bed-02", T0.AddHours(1)))));
        Assert.Equal(audits, AuditCount());
        Assert.Equal([first], Sleepers.CurrentAdmissions());
    }

    [Fact]
    public void A_transfer_closes_and_opens_in_one_transaction_and_admissions_are_listed_by_bed_or_sleeper()
    {
        CreateSleeper("ada");
        CreateSleeper("ben");
        var first = Admit("ada", "bed-01", T0);
        var ben = Admit("ben", "bed-03", T0.AddMinutes(1), facility: "annex");
        var moved = Sleepers.ApplyAdmission(new AdmissionChange(first with { To = T0.AddHours(1) }, new Admission(0, "nexus", "bed-02", "ada", T0.AddHours(1), null),
            [Audit("transfer", "nexus", "bed-01"), Audit("transfer", "nexus", "bed-02")]));
        Assert.Equal("bed-02", moved.Bed);
        Assert.NotEqual(first.Id, moved.Id);
        Assert.Equal([first with { To = T0.AddHours(1) }, moved], Sleepers.Admissions(null, null, "ada"));
        Assert.Equal([moved], Sleepers.Admissions("nexus", "bed-02", null));
        Assert.Equal([first with { To = T0.AddHours(1) }, ben, moved], Sleepers.Admissions(null, null, null));
        Assert.Equal([ben, moved], Sleepers.CurrentAdmissions());

        // Closing an admission that is no longer open fails as a whole; a discharge returns the closed admission.
        Assert.Throws<InvalidOperationException>(() => Sleepers.ApplyAdmission(new AdmissionChange(first with { To = T0.AddHours(2) }, null, [Audit("discharge")])));
        Assert.Equal(moved with { To = T0.AddHours(3) }, Sleepers.ApplyAdmission(new AdmissionChange(moved with { To = T0.AddHours(3) }, null, [Audit("discharge")])));
        Assert.Equal([ben], Sleepers.CurrentAdmissions());
        Assert.Single(Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 100, "discharge")));
    }

    [Fact]
    public void Nights_round_trip_with_metrics_assessments_and_end_and_are_found_by_bed_and_start()
    {
        var evidence = JsonDocument.Parse("""{"tstMin":312.5,"debtHours":2.25}""").RootElement;
        var assessment = new NightAssessment("short-sleep", T0.AddHours(2), null, "short night", evidence);
        var key = WriteNight("bed-01", T0, 400, 30, [assessment]);
        var night = Nights.FindNight(key.Id)!;
        Assert.Equal((key.Id, "nexus", "bed-01", (string?)null, (SleepProgram?)null, new DateOnly(2026, 3, 1), T0, (DateTimeOffset?)T0.AddHours(8), 3, T0.AddHours(8)),
            (night.Id, night.Facility, night.Bed, night.SleeperId, night.Program, night.NightDate, night.Start, night.End, night.Epochs, night.UpdatedAt));
        Assert.Equal(Metrics(400, 30), night.Metrics);
        var stored = Assert.Single(night.Assessments);
        Assert.Equal((assessment.Type, assessment.Start, assessment.End, assessment.Summary), (stored.Type, stored.Start, stored.End, stored.Summary));
        Assert.Equal(evidence.GetRawText(), stored.Evidence!.Value.GetRawText());
        Assert.Null(Nights.FindNight(new NightKey("nexus", "bed-01", T0.AddDays(1)).Id));

        WriteNight("bed-01", T0.AddDays(1), 410, 0);
        WriteNight("bed-02", T0.AddDays(1), 420, 0);
        Assert.Equal([T0, T0.AddDays(1)], Nights.BedNights("nexus", "bed-01", T0, T0.AddDays(2)).Select(n => n.Start));
        Assert.Equal([T0], Nights.BedNights("nexus", "bed-01", T0, T0.AddDays(1)).Select(n => n.Start));
        Assert.Empty(Nights.BedNights("annex", "bed-01", T0, T0.AddDays(2)));
        Assert.Empty(Nights.OpenNights());
    }

    [Fact]
    public void Epochs_are_upserted_by_index_and_counted()
    {
        var key = new NightKey("nexus", "bed-01", T0);
        var e = new StoredEpoch(0, EpochState.Wake, 0.2, 10, 70, true, true);
        Nights.WriteNights([new NightChange(key, new DateOnly(2026, 3, 1), [e, e with { Index = 1 }], null, null, null)], T0);
        Nights.WriteNights([new NightChange(key, new DateOnly(2026, 3, 1), [e with { Index = 1, State = EpochState.Sleep, Presence = null, HeartRate = null }], null, null, null)], T0.AddMinutes(1));
        Assert.Equal((2, T0.AddMinutes(1)), (Nights.FindNight(key.Id)!.Epochs, Nights.FindNight(key.Id)!.UpdatedAt));
        Assert.Equal([e, new StoredEpoch(1, EpochState.Sleep, 0.2, 10, null, null, true)], Nights.NightEpochs(key.Id));
        Assert.Empty(Nights.NightEpochs("nexus/bed-09/0"));

        // Several nights in one write, an epoch given twice within it: the last one wins.
        var other = new NightKey("nexus", "bed-02", T0);
        Nights.WriteNights(
        [
            new NightChange(other, new DateOnly(2026, 3, 1), [e with { Index = 5 }], null, null, null),
            new NightChange(key, new DateOnly(2026, 3, 1), [e with { Index = 2, State = EpochState.OutOfBed }], null, null, null),
            new NightChange(other, new DateOnly(2026, 3, 1), [e with { Index = 5, PSleep = 0.7 }], null, null, null),
        ], T0.AddMinutes(2));
        Assert.Equal([e with { Index = 5, PSleep = 0.7 }], Nights.NightEpochs(other.Id));
        Assert.Equal(3, Nights.FindNight(key.Id)!.Epochs);
        Assert.Equal([T0, T0], Nights.OpenNights().Select(n => n.Start));
    }

    [Fact]
    public void The_study_reads_finished_assigned_nights_in_the_range_and_flags_each_sleepers_first_night()
    {
        Assert.Null(Nights.LatestNightDate());
        CreateSleeper("ada", SleepProgram.Architect);
        CreateSleeper("ben", SleepProgram.Companions);
        Admit("ada", "bed-01", T0.AddDays(-10));
        Admit("ben", "bed-02", T0.AddDays(-10));
        for (var d = 0; d < 5; d++)
        {
            WriteNight("bed-01", T0.AddDays(d), 400 + d, d % 2 == 0 ? 60 : 0);
            WriteNight("bed-02", T0.AddDays(d), 450, 0);
        }

        WriteNight("bed-03", T0, 300, 0); // unassigned
        Nights.WriteNights([new NightChange(new NightKey("nexus", "bed-01", T0.AddDays(5)), new DateOnly(2026, 3, 6), [], null, null, null)], T0); // going on

        var all = Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)));
        Assert.Equal(10, all.Count);
        Assert.Equal(["ada", "ben"], all.Where(n => n.FirstNight).Select(n => n.SleeperId).Order());
        var first = all.First(n => n.SleeperId == "ada");
        Assert.Equal((new DateOnly(2026, 3, 1), SleepProgram.Architect, 60.0, 400.0, 4.0, "nexus"),
            (first.NightDate, first.Program, first.StimulatedMin, first.TstMin!.Value, first.Awakenings!.Value, first.Facility));
        Assert.Equal(Metrics(400, 60).SleepEfficiency, first.SleepEfficiency);

        Assert.Equal(6, Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 4))).Count);
        Assert.All(Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 4))), n => Assert.False(n.FirstNight));
        Assert.Equal(5, Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), Program: SleepProgram.Companions)).Count);
        Assert.Equal(5, Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), SleeperId: "ada")).Count);
        Assert.Empty(Nights.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), Facility: "elsewhere")));
        Assert.Equal(new DateOnly(2026, 3, 6), Nights.LatestNightDate());
        Assert.Equal(new NightKey("nexus", "bed-01", T0.AddDays(5)).Id, Assert.Single(Nights.OpenNights()).Id);
        Assert.Equal(6, Nights.SleeperNights("ada", null, 100).Count);
        Assert.Equal([T0.AddDays(1), T0], Nights.SleeperNights("ada", T0.AddDays(2), 2).Select(n => n.Start));
    }

    [Fact]
    public void The_live_path_reads_finished_totals_each_sleepers_newest_finished_nights_and_the_nights_in_a_time_range()
    {
        CreateSleeper("ada");
        CreateSleeper("ben", SleepProgram.Companions);
        Admit("ada", "bed-01", T0.AddDays(-10));
        Admit("ben", "bed-02", T0.AddDays(-10));
        for (var d = 0; d < 4; d++)
        {
            WriteNight("bed-01", T0.AddDays(d), 400 + d, 0);
        }

        WriteNight("bed-02", T0.AddHours(1), 450, 0);
        // The baseline a sleeper's next nights start from is part of the metrics and must come back.
        var baseline = new SleeperPrior(52.5, 9.25, 3.5);
        var withBaseline = new NightKey("nexus", "bed-02", T0.AddDays(1));
        Nights.WriteNights([new NightChange(withBaseline, new DateOnly(2026, 3, 2), [], Metrics(455, 0) with { Baseline = baseline }, null, T0.AddDays(1).AddHours(8))],
            T0.AddDays(1).AddHours(8));
        WriteNight("bed-03", T0.AddHours(2), 300, 0); // unassigned (filed under its UTC date here: 2026-03-02)
        Nights.WriteNights([new NightChange(new NightKey("nexus", "bed-04", T0), new DateOnly(2026, 3, 1), [], null, null, T0.AddHours(8))], T0); // no metrics
        Nights.WriteNights([new NightChange(new NightKey("nexus", "bed-01", T0.AddDays(5)), new DateOnly(2026, 3, 6), [], Metrics(100, 0), null, null)], T0); // going on

        // Finished nights with metrics, oldest first, as columns: unassigned ones too (a bed's own debt).
        var finished = Nights.FinishedNights();
        Assert.Equal([T0, T0.AddHours(1), T0.AddHours(2), T0.AddDays(1), T0.AddDays(1), T0.AddDays(2), T0.AddDays(3)], finished.Select(n => n.Start));
        Assert.Equal(new FinishedNight(new NightKey("nexus", "bed-01", T0).Id, "nexus", "bed-01", "ada", new DateOnly(2026, 3, 1), T0, T0.AddHours(8), 400),
            finished[0]);
        Assert.Equal(new FinishedNight(new NightKey("nexus", "bed-03", T0.AddHours(2)).Id, "nexus", "bed-03", null, new DateOnly(2026, 3, 2), T0.AddHours(2),
            T0.AddHours(10), 300), finished[2]);

        // Each sleeper's newest finished nights (at most 2 here), by sleeper id, newest first; unassigned and open ones not.
        var latest = Nights.LatestFinishedNights(2);
        Assert.Equal([("ada", T0.AddDays(3)), ("ada", T0.AddDays(2)), ("ben", T0.AddDays(1)), ("ben", T0.AddHours(1))],
            latest.Select(n => (n.SleeperId!, n.Start)));
        Assert.Equal(baseline, latest[2].Metrics!.Baseline);
        Assert.Equal(Metrics(403, 0), latest[0].Metrics);
        Assert.Empty(Nights.LatestFinishedNights(0));

        // Every bed's nights that started in [from, to), open ones included, oldest first.
        Assert.Equal([("bed-01", T0), ("bed-04", T0), ("bed-02", T0.AddHours(1)), ("bed-03", T0.AddHours(2))],
            Nights.NightsBetween(T0, T0.AddDays(1)).Select(n => (n.Bed, n.Start)));
        Assert.Equal([("bed-01", T0.AddDays(5))], Nights.NightsBetween(T0.AddDays(4), T0.AddDays(6)).Select(n => (n.Bed, n.Start)));
        Assert.Empty(Nights.NightsBetween(T0.AddDays(6), T0.AddDays(7)));
    }

    [Fact]
    public void Retention_deletes_old_nights_with_their_epochs_in_bounded_steps()
    {
        var old = Enumerable.Range(0, 3).Select(d => WriteNight("bed-01", T0.AddDays(-500 + d), 400, 0)).ToList();
        var kept = WriteNight("bed-01", T0.AddDays(-10), 400, 0);
        Assert.Equal(2, Nights.PruneNights(T0.AddDays(-400), 2));
        Assert.Equal(1, Nights.PruneNights(T0.AddDays(-400), 2));
        Assert.Equal(0, Nights.PruneNights(T0.AddDays(-400), 2));
        Assert.All(old, k => Assert.Null(Nights.FindNight(k.Id)));
        Assert.All(old, k => Assert.Empty(Nights.NightEpochs(k.Id)));
        Assert.Equal(3, Nights.NightEpochs(kept.Id).Count);
    }
}

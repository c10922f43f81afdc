using Microsoft.Data.Sqlite;
using Somnis.Hub.Alarms;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Tests.Nights;

namespace Somnis.Hub.Tests.Storage;

/// <summary>Sleepers, programs and admissions in the embedded store (SomnisStore.Sleepers.cs).</summary>
public sealed class SomnisStoreSleepersTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private int AuditCount() => _db.Store.QueryAudit(new AuditFilter(null, null, null, null, null, 10_000)).Count;

    [Fact]
    public void A_taken_id_writes_nothing()
    {
        _db.Sleeper("ada");
        var audits = AuditCount();
        Assert.False(_db.Store.CreateSleeper(new Sleeper("ada", "Other Ada", null, [new ProgramEntry(SleepProgram.None, null)]), TempStore.Audit("sleeper-created")));
        Assert.Equal("ada", _db.Store.FindSleeper("ada")!.Name);
        Assert.Equal(audits, AuditCount());
        Assert.Single(_db.Store.Sleepers());
    }

    [Fact]
    public void Program_history_round_trips_and_a_change_re_derives_the_program_of_stored_nights()
    {
        _db.Sleeper("ada", SleepProgram.Architect);
        _db.Admit("ada", "bed-01", T0.AddDays(-1));
        var early = StoredNights.Write(_db.Store, "bed-01", T0, 400, 60);
        var late = StoredNights.Write(_db.Store, "bed-01", T0.AddDays(4), 430, 0);
        Assert.Equal(SleepProgram.Architect, _db.Store.FindNight(late.Id)!.Program);

        _db.Store.AddProgram("ada", new ProgramEntry(SleepProgram.Companions, new DateOnly(2026, 3, 3)), TempStore.Audit("program-changed"));
        var ada = _db.Store.FindSleeper("ada")!;
        Assert.Equal([new ProgramEntry(SleepProgram.Architect, null), new ProgramEntry(SleepProgram.Companions, new DateOnly(2026, 3, 3))], ada.Programs);
        Assert.Equal(SleepProgram.Architect, ada.ProgramOn(new DateOnly(2026, 3, 2)));
        Assert.Equal(SleepProgram.Companions, ada.ProgramOn(new DateOnly(2026, 3, 3)));
        Assert.Equal(SleepProgram.Architect, _db.Store.FindNight(early.Id)!.Program);
        Assert.Equal(SleepProgram.Companions, _db.Store.FindNight(late.Id)!.Program);
    }

    [Fact]
    public void A_night_belongs_to_the_sleeper_admitted_at_its_start_and_an_unassigned_night_to_whoever_is_admitted_during_it()
    {
        _db.Sleeper("ada");
        _db.Sleeper("ben", SleepProgram.Companions);
        var before = StoredNights.Write(_db.Store, "bed-01", T0.AddDays(-2), 400, 0);
        // Tonight's night began with nobody admitted and is going on (no end yet).
        var tonight = new NightKey("nexus", "bed-01", T0);
        _db.Store.WriteNights([new NightChange(tonight, new DateOnly(2026, 3, 1), [], null, null, null)], T0);
        Assert.Null(_db.Store.FindNight(tonight.Id)!.SleeperId);

        _db.Admit("ben", "bed-01", T0.AddHours(2));
        var assigned = _db.Store.FindNight(tonight.Id)!;
        Assert.Equal(("ben", SleepProgram.Companions), (assigned.SleeperId, assigned.Program));
        Assert.Null(_db.Store.FindNight(before.Id)!.SleeperId);

        // A later write of tonight (new epochs) keeps the sleeper.
        _db.Store.WriteNights([new NightChange(tonight, new DateOnly(2026, 3, 1), [], StoredNights.Metrics(100, 0), null, null)], T0.AddHours(3));
        Assert.Equal("ben", _db.Store.FindNight(tonight.Id)!.SleeperId);
        Assert.Equal("ben", _db.Store.AdmissionAt("nexus", "bed-01", T0.AddHours(2))!.SleeperId);
        Assert.Null(_db.Store.AdmissionAt("nexus", "bed-01", T0.AddHours(1.9)));
    }

    [Fact]
    public void The_store_itself_refuses_a_second_open_admission_of_a_bed_and_audits_nothing()
    {
        _db.Sleeper("ada");
        _db.Sleeper("ben");
        var first = _db.Admit("ada", "bed-01", T0);
        Assert.True(first.Id > 0);
        var audits = AuditCount();
        Assert.Throws<SqliteException>(() => _db.Admit("ben", "bed-01", T0.AddHours(1)));
        Assert.Throws<SqliteException>(() => _db.Admit("ada", "bed-02", T0.AddHours(1)));
        Assert.Equal(audits, AuditCount());
        Assert.Equal([first], _db.Store.CurrentAdmissions());
    }

    [Fact]
    public void A_transfer_closes_and_opens_in_one_transaction()
    {
        _db.Sleeper("ada");
        var first = _db.Admit("ada", "bed-01", T0);
        var moved = _db.Store.ApplyAdmission(new AdmissionChange(first with { To = T0.AddHours(1) }, new Admission(0, "nexus", "bed-02", "ada", T0.AddHours(1), null),
            [TempStore.Audit("transfer", "nexus", "bed-01"), TempStore.Audit("transfer", "nexus", "bed-02")]));
        Assert.Equal("bed-02", moved.Bed);
        Assert.Equal([first with { To = T0.AddHours(1) }, moved], _db.Store.Admissions(null, null, "ada"));
        Assert.Equal([moved], _db.Store.Admissions("nexus", "bed-02", null));

        // Closing an admission that is no longer open fails as a whole.
        Assert.Throws<InvalidOperationException>(() => _db.Store.ApplyAdmission(new AdmissionChange(first with { To = T0.AddHours(2) }, null, [])));
    }
}

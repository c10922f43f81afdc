using System.Text.Json.Serialization;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Sleepers;

/// <summary>What a sleeper does about their Dream Architect (docs/study.md). JSON and store: lower-case names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SleepProgram>))]
public enum SleepProgram
{
    /// <summary>No program.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Sleeps with a Dream Architect.</summary>
    [JsonStringEnumMemberName("architect")]
    Architect,

    /// <summary>The Companions program: natural, Architect-free bedtimes with a calming ritual.</summary>
    [JsonStringEnumMemberName("companions")]
    Companions,
}

/// <summary>One entry of a sleeper's program history.</summary>
/// <param name="From">First facility-local night date of the program; null for the first entry when it holds since
/// before any night of record.</param>
public sealed record ProgramEntry(SleepProgram Program, DateOnly? From);

/// <summary>A client of the facility.</summary>
/// <param name="Id">Lower-case letters, digits, '-' (the <c>Identifiers</c> rule of beds).</param>
/// <param name="Programs">Program history, oldest first; never empty.</param>
public sealed record Sleeper(string Id, string Name, string? Notes, IReadOnlyList<ProgramEntry> Programs)
{
    /// <summary>The program in effect on a night date.</summary>
    public SleepProgram ProgramOn(DateOnly night)
    {
        var program = SleepProgram.None;
        foreach (var p in Programs)
        {
            if (p.From is null || p.From <= night)
            {
                program = p.Program;
            }
        }

        return program;
    }
}

/// <summary>A sleeper in a bed for a period of event (device) time: [<see cref="From"/>, <see cref="To"/>).</summary>
/// <param name="Id">Assigned by the store (0 before).</param>
/// <param name="To">Null while the sleeper is admitted.</param>
public sealed record Admission(long Id, string Facility, string Bed, string SleeperId, DateTimeOffset From, DateTimeOffset? To)
{
    /// <summary>The admission covers instant <paramref name="t"/>.</summary>
    public bool Covers(DateTimeOffset t) => From <= t && (To is null || t < To);

    /// <summary>The period overlaps [<paramref name="from"/>, <paramref name="to"/>) (null = open-ended).</summary>
    public bool Overlaps(DateTimeOffset from, DateTimeOffset? to) => (To is null || from < To) && (to is null || From < to);
}

/// <summary>The admissions to close and to open in one transaction, and the audit entries that record it.</summary>
/// <param name="Close">An open admission with its <see cref="Admission.To"/> now set (discharge, or the old bed of a transfer).</param>
/// <param name="Open">A new admission (admit, or the new bed of a transfer).</param>
internal sealed record AdmissionChange(Admission? Close, Admission? Open, IReadOnlyList<AuditEntry> Audit);

/// <summary>
/// Where sleepers, their program history and their admissions are kept: the embedded SQLite store
/// (SomnisStore.Sleepers.cs) or the shared PostgreSQL one (PostgresStore.Sleepers.cs), per <c>Store:Provider</c>. Every
/// method throws on failure; a write either happens entirely, its audit entries included, or not at all. The rules (who
/// may be admitted where) live above it, in <see cref="AdmissionRules"/>; the store also refuses a second open admission
/// of a bed or a sleeper on its own.
/// </summary>
internal interface ISleeperStore
{
    /// <summary>Adds a sleeper with its first program entry (changed at and by: the audit entry's time and actor);
    /// false, with nothing written, when the id is taken.</summary>
    bool CreateSleeper(Sleeper sleeper, AuditEntry audit);

    Sleeper? FindSleeper(string id);

    /// <summary>Every sleeper, by id.</summary>
    IReadOnlyList<Sleeper> Sleepers();

    /// <summary>Appends a program entry and re-derives the program of the sleeper's stored nights.</summary>
    void AddProgram(string sleeperId, ProgramEntry entry, AuditEntry audit);

    /// <summary>Admissions of a bed (<paramref name="facility"/> and <paramref name="bed"/>) or of a sleeper, oldest first.</summary>
    IReadOnlyList<Admission> Admissions(string? facility, string? bed, string? sleeperId);

    /// <summary>Every open admission.</summary>
    IReadOnlyList<Admission> CurrentAdmissions();

    /// <summary>The admission of a bed that covers instant <paramref name="at"/> (event time), if any.</summary>
    Admission? AdmissionAt(string facility, string bed, DateTimeOffset at);

    /// <summary>Closes and opens admissions, assigns the bed's unassigned nights that the opened admission covers
    /// (a night going on when someone is admitted mid-night is theirs) and appends the audit, in one transaction.</summary>
    /// <returns>The opened admission with its id, else the closed one.</returns>
    Admission ApplyAdmission(AdmissionChange change);
}

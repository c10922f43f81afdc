using System.Globalization;
using System.Text.Json;
using Somnis.Contracts;
using Somnis.Hub.Detection;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Study;

namespace Somnis.Hub.Nights;

/// <summary>Which night: a bed and its lights-off (device time). The id is deterministic, so a restarted hub (or another
/// node) writes the same row again instead of a second one.</summary>
internal readonly record struct NightKey(string Facility, string Bed, DateTimeOffset Start)
{
    /// <summary><c>{facility}/{bed}/{start, Unix ms}</c>. Made once: the live path hands the key over with every epoch.
    /// (Derived from the other members: never change them with <c>with</c>.)</summary>
    public string Id { get; } = string.Create(CultureInfo.InvariantCulture, $"{Facility}/{Bed}/{Start.ToUnixTimeMilliseconds()}");

    public static bool TryParse(string? id, out NightKey key)
    {
        key = default;
        var parts = id?.Split('/');
        if (parts is not [var facility, var bed, var ms] || !Identifiers.IsValid(facility) || !Identifiers.IsValid(bed)
            || !long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var start) || start > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        key = new NightKey(facility, bed, DateTimeOffset.FromUnixTimeMilliseconds(start));
        return true;
    }
}

/// <summary>One stored 30-s epoch of a night's hypnogram.</summary>
/// <param name="Index">(epoch start − night start) / 30 s.</param>
internal readonly record struct StoredEpoch(int Index, EpochState State, double PSleep, double? ActivityCount, double? HeartRate, bool? Presence, bool Stimulating)
{
    public static StoredEpoch From(ScoredEpoch e, DateTimeOffset nightStart) => new(
        (int)Math.Round((e.Start - nightStart).TotalSeconds / EpochScorer.EpochSeconds),
        e.State, e.PSleep, e.ActivityCount, e.MeanHeartRate, e.Presence, e.Stimulating);

    public DateTimeOffset StartOf(DateTimeOffset nightStart) => nightStart + (ScoredEpoch.Length * Index);

    /// <summary>The epoch as the tracker holds it (numbered from the night's start; the model features are not stored).</summary>
    public ScoredEpoch ToScored(DateTimeOffset nightStart) =>
        new(Index, StartOf(nightStart), Index * EpochScorer.EpochSeconds, State, PSleep, ActivityCount, HeartRate, Presence, Stimulating, default);
}

/// <summary>An assessment over a night: from the event time it became true to the one it cleared, with its latest
/// summary and evidence (the numbers behind it, as the alarm shows them).</summary>
/// <param name="End">Null while it still holds.</param>
public sealed record NightAssessment(string Type, DateTimeOffset Start, DateTimeOffset? End, string Summary, JsonElement? Evidence);

/// <summary>A night as stored.</summary>
/// <param name="SleeperId">Null: nobody was admitted to the bed when the night began (unassigned).</param>
/// <param name="Program">The sleeper's program on <see cref="NightDate"/>; null when unassigned.</param>
/// <param name="NightDate">Facility-local date of the evening the night began (<see cref="Dashboard.NightCalendar"/>).</param>
/// <param name="End">Null while the night goes on.</param>
/// <param name="Epochs">Epochs stored.</param>
/// <param name="Metrics">As of the last write; final once <see cref="End"/> is set.</param>
internal sealed record NightRecord(
    string Id,
    string Facility,
    string Bed,
    string? SleeperId,
    SleepProgram? Program,
    DateOnly NightDate,
    DateTimeOffset Start,
    DateTimeOffset? End,
    int Epochs,
    NightMetrics? Metrics,
    IReadOnlyList<NightAssessment> Assessments,
    DateTimeOffset UpdatedAt);

/// <summary>A finished night as sleep debt needs it.</summary>
/// <param name="SleeperId">Null: unassigned (the bed's own account).</param>
internal sealed record FinishedNight(string Id, string Facility, string Bed, string? SleeperId, DateOnly NightDate, DateTimeOffset Start,
    DateTimeOffset End, double TotalSleepMin);

/// <summary>What the writer stores about one night in one go: any of new epochs, metrics so far, the assessments
/// (the whole list), the end. Null fields are left as stored.</summary>
internal sealed record NightChange(
    NightKey Key,
    DateOnly NightDate,
    IReadOnlyList<StoredEpoch> Epochs,
    NightMetrics? Metrics,
    IReadOnlyList<NightAssessment>? Assessments,
    DateTimeOffset? End)
{
    /// <summary>Hub time the oldest part of this change was queued (how long the store has kept it waiting).</summary>
    public DateTimeOffset QueuedAt { get; init; }
}

/// <summary>
/// Where nights of record and their epochs are kept: the embedded SQLite store (SomnisStore.Nights.cs) or the shared
/// PostgreSQL one (PostgresStore.Nights.cs), per <c>Store:Provider</c>. Writes come only from the <see cref="NightWriter"/>; every method throws
/// on failure.
/// </summary>
internal interface INightStore
{
    /// <summary>Applies the changes in one transaction (all or none). A night seen for the first time gets the sleeper
    /// whose admission covers its start (else none) and that sleeper's program on its date; a night stored before keeps
    /// its sleeper. Epochs are upserted by index, so writing the same epochs again changes nothing.</summary>
    void WriteNights(IReadOnlyList<NightChange> changes, DateTimeOffset at);

    NightRecord? FindNight(string id);

    /// <summary>A sleeper's nights, newest first, starting before <paramref name="before"/> (null: any).</summary>
    IReadOnlyList<NightRecord> SleeperNights(string sleeperId, DateTimeOffset? before, int limit);

    /// <summary>A bed's nights that started in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    IReadOnlyList<NightRecord> BedNights(string facility, string bed, DateTimeOffset from, DateTimeOffset to);

    /// <summary>Nights without an end (going on, or cut off by a stop), oldest first: what a restarted hub resumes.</summary>
    IReadOnlyList<NightRecord> OpenNights();

    /// <summary>A night's hypnogram, by index.</summary>
    IReadOnlyList<StoredEpoch> NightEpochs(string nightId);

    /// <summary>The newest night date stored, or null without nights (the study's default range ends there).</summary>
    DateOnly? LatestNightDate();

    /// <summary>Finished, assigned nights for the study (docs/study.md), oldest first.</summary>
    IReadOnlyList<StudyNight> StudyNights(StudyQuery query);

    /// <summary>Every finished night's total sleep, for sleep debt per sleeper (and per bed for unassigned nights), oldest first.</summary>
    IReadOnlyList<FinishedNight> FinishedNights();

    /// <summary>Each sleeper's newest finished nights, at most <paramref name="perSleeper"/> each, newest first: their
    /// metrics hold the night's baseline that the sleeper's next nights start from (<see cref="NightMetrics.Baseline"/>).</summary>
    IReadOnlyList<NightRecord> LatestFinishedNights(int perSleeper);

    /// <summary>Every bed's nights that started in [<paramref name="from"/>, <paramref name="to"/>), oldest first (night reports).</summary>
    IReadOnlyList<NightRecord> NightsBetween(DateTimeOffset from, DateTimeOffset to);

    /// <summary>Deletes up to <paramref name="maxNights"/> nights (with their epochs) that began before <paramref name="before"/>.</summary>
    /// <returns>Nights deleted; call again while it returns <paramref name="maxNights"/>.</returns>
    int PruneNights(DateTimeOffset before, int maxNights);
}

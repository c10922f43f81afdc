using Somnis.Hub.Nights;
using Somnis.Hub.Study;

namespace Somnis.Hub.Tests.Nights;

/// <summary>The real store behind a switch that makes every write fail, as a full disk would.</summary>
internal sealed class FlakyNightStore(INightStore inner) : INightStore
{
    public volatile bool Failing;

    public TaskCompletionSource FirstFailure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void WriteNights(IReadOnlyList<NightChange> changes, DateTimeOffset at)
    {
        if (Failing)
        {
            FirstFailure.TrySetResult();
            throw new IOException("disk full");
        }

        inner.WriteNights(changes, at);
        Written.TrySetResult();
    }

    public NightRecord? FindNight(string id) => inner.FindNight(id);

    public IReadOnlyList<NightRecord> SleeperNights(string sleeperId, DateTimeOffset? before, int limit) => inner.SleeperNights(sleeperId, before, limit);

    public IReadOnlyList<NightRecord> BedNights(string facility, string bed, DateTimeOffset from, DateTimeOffset to) => inner.BedNights(facility, bed, from, to);

    public IReadOnlyList<NightRecord> OpenNights() => inner.OpenNights();

    public IReadOnlyList<StoredEpoch> NightEpochs(string nightId) => inner.NightEpochs(nightId);

    public DateOnly? LatestNightDate() => inner.LatestNightDate();

    public IReadOnlyList<StudyNight> StudyNights(StudyQuery query) => inner.StudyNights(query);

    public IReadOnlyList<FinishedNight> FinishedNights() => inner.FinishedNights();

    public IReadOnlyList<NightRecord> LatestFinishedNights(int perSleeper) => inner.LatestFinishedNights(perSleeper);

    public IReadOnlyList<NightRecord> NightsBetween(DateTimeOffset from, DateTimeOffset to) => inner.NightsBetween(from, to);

    public int PruneNights(DateTimeOffset before, int maxNights) => inner.PruneNights(before, maxNights);
}

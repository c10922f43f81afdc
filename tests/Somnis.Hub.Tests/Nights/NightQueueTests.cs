using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Nights;

public sealed class NightQueueTests
{
    private static readonly DateOnly Date = new(2026, 3, 1);
    private static readonly NightKey A = new("nexus", "bed-01", SimulatedNight.Evening);
    private static readonly NightKey B = new("nexus", "bed-02", SimulatedNight.Evening);
    private readonly FakeTimeProvider _time = new(SimulatedNight.Evening);

    private static StoredEpoch[] Epochs(int from, int count) =>
        [.. Enumerable.Range(from, count).Select(i => new StoredEpoch(i, EpochState.Sleep, 0.9, 0, 55, true, false))];

    [Fact]
    public void Changes_to_one_night_coalesce_epochs_add_up_and_the_newest_metrics_win()
    {
        var q = new NightQueue(1000, _time);
        q.Add(A, Date, Epochs(0, 3), StoredNights.Metrics(100, 0));
        _time.Advance(TimeSpan.FromSeconds(5));
        q.Add(B, Date, Epochs(0, 1));
        q.Add(A, Date, Epochs(3, 2), StoredNights.Metrics(200, 0), end: SimulatedNight.Evening.AddHours(8));
        Assert.Equal((2, 6), (q.Nights, q.Epochs));
        Assert.Equal(SimulatedNight.Evening, q.OldestQueuedAt);

        var batch = q.Take(1000);
        Assert.Equal([A, B], batch.Select(c => c.Key));
        Assert.Equal([0, 1, 2, 3, 4], batch[0].Epochs.Select(e => e.Index));
        Assert.Equal(200, batch[0].Metrics!.TotalSleepMin);
        Assert.Equal(SimulatedNight.Evening.AddHours(8), batch[0].End);
        Assert.Equal((0, 0), (q.Nights, q.Epochs));
        Assert.Null(q.OldestQueuedAt);
    }

    [Fact]
    public void Take_takes_whole_nights_up_to_the_batch_size_but_always_one()
    {
        var q = new NightQueue(1000, _time);
        q.Add(A, Date, Epochs(0, 30));
        q.Add(B, Date, Epochs(0, 30));
        Assert.Equal([A], q.Take(10).Select(c => c.Key));
        Assert.Equal(30, q.Epochs);
    }

    [Fact]
    public void A_returned_batch_goes_back_in_front_merged_with_what_came_since()
    {
        var q = new NightQueue(1000, _time);
        q.Add(A, Date, Epochs(0, 2), StoredNights.Metrics(100, 0));
        q.Add(B, Date, Epochs(0, 1));
        var batch = q.Take(1000);
        _time.Advance(TimeSpan.FromMinutes(1));
        q.Add(A, Date, Epochs(2, 1), StoredNights.Metrics(150, 0));
        q.Return(batch);

        Assert.Equal((2, 4), (q.Nights, q.Epochs));
        Assert.Equal(SimulatedNight.Evening, q.OldestQueuedAt);
        var again = q.Take(1000);
        Assert.Equal([A, B], again.Select(c => c.Key));
        Assert.Equal([0, 1, 2], again[0].Epochs.Select(e => e.Index));
        Assert.Equal(150, again[0].Metrics!.TotalSleepMin);
    }

    [Fact]
    public void Beyond_the_bound_epochs_are_dropped_and_counted_but_ends_are_kept()
    {
        var q = new NightQueue(5, _time);
        Assert.Equal(0, q.Add(A, Date, Epochs(0, 4)));
        Assert.Equal(2, q.Add(B, Date, Epochs(0, 3)));
        Assert.Equal(1, q.Add(A, Date, Epochs(4, 1), end: SimulatedNight.Evening.AddHours(8)));
        Assert.Equal(3, q.Dropped);
        Assert.Equal(5, q.Epochs);
        Assert.Equal(SimulatedNight.Evening.AddHours(8), q.Take(1000)[0].End);
    }
}

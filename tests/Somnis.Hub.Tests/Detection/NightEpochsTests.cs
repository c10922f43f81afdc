using Somnis.Contracts;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

/// <summary>The live path's compact night must give back exactly what the scorer produced (the features aside).</summary>
public sealed class NightEpochsTests
{
    private static readonly DateTimeOffset Origin = new(2025, 3, 1, 22, 0, 0, TimeSpan.Zero);

    /// <summary>Four hours of varied input: sleep, movement, missing HR, out of bed, Architect bouts.</summary>
    private static IEnumerable<VitalsMessage> Night()
    {
        var random = new Random(7);
        for (var s = 10; s <= 4 * 3600; s += 10)
        {
            var restless = s / 600 % 5 == 3;
            yield return new VitalsMessage
            {
                Ts = Origin.AddSeconds(s),
                IntervalSeconds = 10,
                HeartRate = s % 1800 < 60 ? null : 55 + random.NextDouble() * (restless ? 30 : 4),
                ActivityCount = restless ? random.Next(0, 400) : random.Next(0, 3),
                BedPresence = s % 7200 is > 3000 and < 3400 ? false : s % 900 < 60 ? null : true,
                ArchitectStimulating = s / 300 % 7 == 2,
            };
        }
    }

    [Fact]
    public void Every_epoch_reads_back_as_scored_the_newest_and_the_packed_ones()
    {
        var reference = new EpochScorer(Origin);
        var live = new EpochScorer(Origin, retainFinalized: false);
        var night = new NightEpochs();
        foreach (var m in Night())
        {
            reference.Add(m);
            live.Add(m);
            night.AddRange(live.TakeFinalized());
        }

        reference.Complete();
        live.Complete();
        night.AddRange(live.TakeFinalized());

        var expected = reference.Finalized;
        Assert.True(expected.Count > 400, "the night must span several 128-epoch chunks");
        Assert.Equal(expected.Count, night.Count);
        // The newest epoch is the object itself; the packed ones come back in single precision.
        var last = expected.Count - 1;
        for (var i = 0; i < last; i++)
        {
            Assert.Equal(Packed(expected[i]), night[i] with { Features = default });
        }

        Assert.Equal(expected[last] with { Features = default }, night[last] with { Features = default });
        Assert.Equal(expected.Take(last).Select(Packed), night.Take(last).Select(e => e with { Features = default }));
        Assert.Contains(expected, e => e.Presence is null);
        Assert.Contains(expected, e => e.State == EpochState.OutOfBed);
        Assert.Contains(expected, e => e.Stimulating);
    }

    /// <summary>An epoch as the packed night gives it back: features dropped, the numbers in single precision.</summary>
    internal static ScoredEpoch Packed(ScoredEpoch e) => e with
    {
        Features = default,
        PSleep = (float)e.PSleep,
        ActivityCount = (float?)e.ActivityCount,
        MeanHeartRate = (float?)e.MeanHeartRate,
    };

    [Fact]
    public void A_scorer_that_does_not_retain_refuses_to_list_its_night()
    {
        var live = new EpochScorer(Origin, retainFinalized: false);
        Assert.Throws<InvalidOperationException>(() => live.Finalized);
    }

    [Fact]
    public void Epochs_out_of_order_are_refused_and_clear_starts_a_new_night()
    {
        var scorer = new EpochScorer(Origin);
        foreach (var m in Night().Take(200))
        {
            scorer.Add(m);
        }

        var epochs = scorer.Finalized;
        var night = new NightEpochs();
        Assert.Throws<ArgumentException>(() => night.Add(epochs[1]));
        night.Add(epochs[0]);
        Assert.Throws<ArgumentException>(() => night.Add(epochs[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => night[1]);

        night.Clear();
        Assert.Empty(night);
        night.Add(epochs[0]);
        Assert.Single(night);
    }
}

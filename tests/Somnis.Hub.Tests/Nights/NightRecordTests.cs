using Somnis.Hub.Detection;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Tests.Nights;

public sealed class NightRecordTests
{
    [Fact]
    public void A_night_id_names_the_bed_and_its_start_and_parses_back()
    {
        var key = new NightKey("nexus", "bed-01", SimulatedNight.Evening);
        Assert.Equal($"nexus/bed-01/{SimulatedNight.Evening.ToUnixTimeMilliseconds()}", key.Id);
        Assert.True(NightKey.TryParse(key.Id, out var back));
        Assert.Equal(key, back);
        foreach (var bad in new[] { null, "", "nexus/bed-01", "nexus/bed 01/1", "nexus/bed-01/-5", "nexus/bed-01/x", "a/b/c/1", "nexus/bed-01/99999999999999999" })
        {
            Assert.False(NightKey.TryParse(bad, out _), bad);
        }
    }

    [Fact]
    public void An_epoch_is_stored_by_its_place_in_the_night()
    {
        var start = SimulatedNight.Evening;
        var scored = new ScoredEpoch(7, start.AddMinutes(3), 180, EpochState.Wake, 0.25, 14, 66.5, true, true, default);
        var stored = StoredEpoch.From(scored, start);
        Assert.Equal(new StoredEpoch(6, EpochState.Wake, 0.25, 14, 66.5, true, true), stored);
        Assert.Equal(start.AddMinutes(3), stored.StartOf(start));
    }
}

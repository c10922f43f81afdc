using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class TopicCacheTests
{
    [Fact]
    public void A_cached_topic_parses_as_the_contract_does_and_hands_out_the_same_strings()
    {
        var cache = new TopicCache();
        var topic = Topics.For("nexus", "bed-01", Topics.Vitals);
        Assert.True(cache.TryParse(topic, out var first));
        Assert.True(Topics.TryParse(topic, out var expected));
        Assert.Equal(expected, first);
        Assert.True(cache.TryParse(new string(topic.AsSpan()), out var again));
        Assert.Same(first.Bed, again.Bed);
        Assert.Same(first.Facility, again.Facility);
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData("somnis/nexus/beds/bed 1/vitals")]
    [InlineData("somnis/nexus/rooms/bed-01/vitals")]
    [InlineData("other/nexus/beds/bed-01/vitals")]
    [InlineData("somnis/nexus/beds/bed-01/")]
    public void Invalid_topics_are_refused_and_not_kept(string topic)
    {
        var cache = new TopicCache();
        Assert.False(cache.TryParse(topic, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Past_its_bound_it_still_parses_but_keeps_nothing_more()
    {
        var cache = new TopicCache(capacity: 3);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(cache.TryParse(Topics.For("nexus", $"bed-{i}", Topics.Vitals), out var t));
            Assert.Equal($"bed-{i}", t.Bed);
        }

        Assert.Equal(3, cache.Count);
    }
}

namespace Somnis.Contracts.Tests;

/// <summary>The topic scheme <c>somnis/{facility}/beds/{bed}/{kind}</c>: what the edge builds, the hub parses back.</summary>
public sealed class TopicsTests
{
    [Theory]
    [InlineData(Topics.Vitals)]
    [InlineData(Topics.Status)]
    [InlineData(Topics.Architect)]
    [InlineData(Topics.Gap)]
    [InlineData(Topics.Command)]
    public void A_built_topic_parses_back_into_its_parts(string kind)
    {
        var topic = Topics.For("nexus", "bed-01", kind);

        Assert.Equal($"somnis/nexus/beds/bed-01/{kind}", topic);
        Assert.True(Topics.TryParse(topic, out var parsed));
        Assert.Equal(new BedTopic("nexus", "bed-01", kind), parsed);
    }

    [Theory]
    [InlineData("somnis/nexus/beds/bed-01")]
    [InlineData("somnis/nexus/beds/bed-01/vitals/extra")]
    [InlineData("other/nexus/beds/bed-01/vitals")]
    [InlineData("somnis/nexus/rooms/bed-01/vitals")]
    [InlineData("somnis/nexus/beds/bed 01/vitals")]
    [InlineData("somnis/nexus/beds/bed+01/vitals")]
    [InlineData("somnis//beds/bed-01/vitals")]
    [InlineData("somnis/nexus/beds/bed-01/")]
    public void Any_other_shape_is_refused(string topic)
    {
        Assert.False(Topics.TryParse(topic, out _));
    }

    [Fact]
    public void The_subscription_filter_covers_every_bed_and_kind_of_one_facility_or_all()
    {
        Assert.Equal("somnis/nexus/beds/+/+", Topics.AllBeds("nexus"));
        Assert.Equal("somnis/+/beds/+/+", Topics.AllBeds());
    }

    [Theory]
    [InlineData("bed-01", true)]
    [InlineData("Ward_3", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("bed/01", false)]
    [InlineData("bed#", false)]
    [InlineData("bé", false)]
    public void Identifiers_are_safe_as_topic_levels(string? id, bool valid)
    {
        Assert.Equal(valid, Identifiers.IsValid(id));
    }

    [Fact]
    public void Identifiers_are_at_most_64_characters()
    {
        Assert.True(Identifiers.IsValid(new string('a', Identifiers.MaxLength)));
        Assert.False(Identifiers.IsValid(new string('a', Identifiers.MaxLength + 1)));
    }
}

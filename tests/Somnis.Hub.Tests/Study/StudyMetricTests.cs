using Somnis.Hub.Study;

namespace Somnis.Hub.Tests.Study;

/// <summary>How differences and intervals are said in words.</summary>
public sealed class StudyMetricTests
{
    private static StudyMetric Metric(string key) => StudyMetric.All.Single(m => m.Key == key);

    [Fact]
    public void Differences_are_said_in_the_metrics_own_words_and_units()
    {
        Assert.Equal("slept 47 min less", Metric("tstMin").Phrase(-47.2));
        Assert.Equal("had a sleep efficiency 3.5 points lower", Metric("sleepEfficiency").Phrase(-0.035));
        Assert.Equal("took 12 min longer to fall asleep", Metric("solMin").Phrase(12));
        Assert.Equal("woke 2.1 more times", Metric("awakenings").Phrase(2.1));
        Assert.Equal("had a sleeping heart rate 4.0 bpm higher", Metric("sleepingHr").Phrase(4));
        Assert.Equal("showed no difference in total sleep time", Metric("tstMin").Phrase(0.2));
    }

    [Fact]
    public void Intervals_follow_the_direction_of_the_difference_and_say_when_they_cross_zero()
    {
        Assert.Equal("38–56 min", Metric("tstMin").Interval(-56, -38));
        Assert.Equal("38–56 min", Metric("tstMin").Interval(38, 56));
        Assert.Equal("5 min less to 20 min more", Metric("tstMin").Interval(-5, 20));
        Assert.Equal("1.0 fewer to 0.5 more", Metric("awakenings").Interval(-1, 0.5));
        Assert.Equal(9, StudyMetric.All.Count);
    }
}

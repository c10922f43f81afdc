using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class SequenceRangesTests
{
    [Fact]
    public void Ranges_merge_split_and_count()
    {
        var r = new SequenceRanges();
        r.Add(5, 9);
        r.Add(10, 12);
        r.Add(1, 2);
        Assert.Equal([(1L, 2L), (5L, 12L)], r.Ranges);
        Assert.Equal(10, r.Count);
        Assert.True(r.Remove(7));
        Assert.False(r.Remove(7));
        Assert.Equal([(1L, 2L), (5L, 6L), (8L, 12L)], r.Ranges);
        Assert.Equal([(2L, 2L), (5L, 6L), (8L, 9L)], r.Extract(2, 9));
        Assert.Equal([(1L, 1L), (10L, 12L)], r.Ranges);
        Assert.Equal(4, r.Count);
        Assert.True(r.Contains(11));
        Assert.False(r.Contains(9));
    }
}

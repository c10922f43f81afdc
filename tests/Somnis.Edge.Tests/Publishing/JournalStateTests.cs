using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class JournalStateTests
{
    [Fact]
    public void The_state_line_keeps_its_format()
    {
        var state = new JournalState(3, 11, 10, Fixtures.Start, 2);
        Assert.Equal("v1 3 11 10 1772402400000 2", state.Format());
        Assert.Equal(state, JournalState.Parse(state.Format()));
    }

    [Fact]
    public void No_event_time_is_written_as_zero()
    {
        var state = new JournalState(0, 1, 0, null, 0);
        Assert.Equal("v1 0 1 0 0 0", state.Format());
        Assert.Equal(JournalState.Empty, JournalState.Parse(state.Format()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("v2 3 11 10 0 2")]
    [InlineData("v1 3 11 10 0")]
    [InlineData("v1 3 11 ten 0 2")]
    [InlineData("v1 3 11 10 0 2 9")]
    public void An_unreadable_state_is_empty_so_everything_on_disk_is_replayed(string text)
    {
        Assert.Equal(JournalState.Empty, JournalState.Parse(text));
    }
}

using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class EventTimeMarkTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void It_only_moves_forward_and_is_empty_before_the_first_time()
    {
        var mark = new EventTimeMark();
        Assert.Null(mark.Value);
        Assert.Equal(T0.AddSeconds(10), mark.Advance(T0.AddSeconds(10)));
        Assert.Equal(T0.AddSeconds(10), mark.Advance(T0));
        Assert.Equal(T0.AddSeconds(10), mark.Value);
        // The same instant in another offset is the same time.
        Assert.Equal(T0.AddSeconds(20), mark.Advance(T0.AddSeconds(20).ToOffset(TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Threads_advancing_at_once_leave_the_latest_time()
    {
        var mark = new EventTimeMark();
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                mark.Advance(T0.AddSeconds((i * 8) + worker));
            }
        });

        Assert.Equal(T0.AddSeconds((19_999 * 8) + 7), mark.Value);
    }
}

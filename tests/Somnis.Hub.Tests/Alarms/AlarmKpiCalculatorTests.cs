using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmKpiCalculatorTests
{
    private static readonly DateTimeOffset T0 = AlarmEngineTests.T0;

    [Fact]
    public void Flood_starts_above_ten_per_ten_minutes_and_ends_below_five()
    {
        // 11 alarms in the first minute: flood from the 11th until the count falls below 5 (10 min after the 7th).
        var times = Enumerable.Range(0, 11).Select(i => T0.AddSeconds(i * 5)).ToList();
        var (flood, peak, inFlood) = AlarmKpiCalculator.Flood(times, T0.AddHours(1));
        Assert.Equal(11, peak);
        Assert.False(inFlood);
        Assert.Equal(times[6].AddMinutes(10) - times[10], flood);
    }

    [Fact]
    public void One_alarm_per_ten_minutes_is_never_a_flood()
    {
        var times = Enumerable.Range(0, 50).Select(i => T0.AddMinutes(i * 10)).ToList();
        var (flood, peak, _) = AlarmKpiCalculator.Flood(times, T0.AddHours(10));
        Assert.Equal(TimeSpan.Zero, flood);
        Assert.Equal(1, peak);
    }
}

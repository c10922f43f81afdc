using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Tests.Nights;

namespace Somnis.Hub.Tests.Sleepers;

/// <summary>Sleep debt per sleeper from their stored nights, across beds and transfers.</summary>
public sealed class SleeperDebtTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    private static NightRecord Night(string bed, DateTimeOffset start, double tstMin, bool ended = true) =>
        new($"nexus/{bed}/{start.ToUnixTimeMilliseconds()}", "nexus", bed, "ada", SleepProgram.Architect, Somnis.Hub.Dashboard.NightCalendar.NightOf(start, TimeZoneInfo.Utc),
            start, ended ? start.AddHours(8) : null, 10, StoredNights.Metrics(tstMin, 0), [], start);

    [Fact]
    public void Debt_adds_need_minus_sleep_per_night_and_never_goes_below_zero()
    {
        // Need 7 h: 5 h → debt 2; 6 h → 3; 9 h → 1; 10 h → 0 (not −2); 6 h → 1.
        var nights = new[] { 300.0, 360, 540, 600, 360 }.Select((tst, d) => Night("bed-01", T0.AddDays(d), tst)).Reverse();
        Assert.Equal(new DebtSummary(1, 5, new DateOnly(2026, 3, 5)), SleeperDebt.Compute(nights, 7));
    }

    [Fact]
    public void A_transfer_mid_night_adds_the_two_parts_as_one_night()
    {
        // 1 March: 3 h in bed-01, then transferred, 2.5 h in bed-02 (same night date) → 5.5 h → debt 1.5.
        // 2 March in bed-02: 6 h → debt 2.5. A night still going on does not count yet.
        NightRecord[] nights =
        [
            Night("bed-01", T0, 180), Night("bed-02", T0.AddHours(3.5), 150),
            Night("bed-02", T0.AddDays(1), 360), Night("bed-02", T0.AddDays(2), 0, ended: false),
        ];
        Assert.Equal(new DebtSummary(2.5, 2, new DateOnly(2026, 3, 2)), SleeperDebt.Compute(nights, 7));
        Assert.Equal(new DebtSummary(0, 0, null), SleeperDebt.Compute([], 7));
    }
}

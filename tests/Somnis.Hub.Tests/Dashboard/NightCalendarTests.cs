using Somnis.Hub.Dashboard;

namespace Somnis.Hub.Tests.Dashboard;

public sealed class NightCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void A_night_is_local_noon_to_local_noon()
    {
        var (start, end) = NightCalendar.Window(new DateOnly(2026, 1, 10), Berlin);
        Assert.Equal(new DateTimeOffset(2026, 1, 10, 11, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(new DateTimeOffset(2026, 1, 11, 11, 0, 0, TimeSpan.Zero), end);
    }

    [Fact]
    public void The_night_clocks_go_forward_is_23_hours_long()
    {
        // Sunday 29 March 2026, 02:00 CET → 03:00 CEST.
        var (start, end) = NightCalendar.Window(new DateOnly(2026, 3, 28), Berlin);
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 11, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 10, 0, 0, TimeSpan.Zero), end);
        Assert.Equal(TimeSpan.FromHours(23), end - start);
    }

    [Fact]
    public void The_night_clocks_go_back_is_25_hours_long()
    {
        // Sunday 25 October 2026, 03:00 CEST → 02:00 CET.
        var (start, end) = NightCalendar.Window(new DateOnly(2026, 10, 24), Berlin);
        Assert.Equal(new DateTimeOffset(2026, 10, 24, 10, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 11, 0, 0, TimeSpan.Zero), end);
        Assert.Equal(TimeSpan.FromHours(25), end - start);
    }

    [Theory]
    // Lights-off 22:30 CET on the Saturday before the spring change: that Saturday's night.
    [InlineData("2026-03-28T21:30:00Z", "2026-03-28")]
    // 01:30 CET, before the change, and 03:30 CEST, after it: still Saturday's night.
    [InlineData("2026-03-29T00:30:00Z", "2026-03-28")]
    [InlineData("2026-03-29T01:30:00Z", "2026-03-28")]
    // 11:59 CEST Sunday is still Saturday's night; 12:00 CEST begins Sunday's.
    [InlineData("2026-03-29T09:59:00Z", "2026-03-28")]
    [InlineData("2026-03-29T10:00:00Z", "2026-03-29")]
    // Autumn: 02:30 happens twice (CEST then CET); both belong to Saturday 24 October's night.
    [InlineData("2026-10-25T00:30:00Z", "2026-10-24")]
    [InlineData("2026-10-25T01:30:00Z", "2026-10-24")]
    [InlineData("2026-10-25T10:59:00Z", "2026-10-24")]
    [InlineData("2026-10-25T11:00:00Z", "2026-10-25")]
    public void Lights_off_is_named_by_the_local_evening_it_belongs_to(string instant, string night)
    {
        var t = DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);
        var date = NightCalendar.NightOf(t, Berlin);
        Assert.Equal(DateOnly.Parse(night, System.Globalization.CultureInfo.InvariantCulture), date);
        var (start, end) = NightCalendar.Window(date, Berlin);
        Assert.InRange(t, start, end.AddTicks(-1));
    }

    [Fact]
    public void In_utc_every_night_is_24_hours()
    {
        var (start, end) = NightCalendar.Window(new DateOnly(2026, 3, 28), TimeZoneInfo.Utc);
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(TimeSpan.FromHours(24), end - start);
    }
}

namespace Somnis.Hub.Dashboard;

/// <summary>
/// Names nights by the facility-local date of the evening they began, and turns such a date back into instants.
/// A night of date D is every lights-off from local noon on D up to local noon on D + 1, so a sleeper who lies down
/// at 00:30 still belongs to the evening before. Across a daylight-saving change the window is 23 or 25 hours long:
/// the boundaries are local noons, converted with the zone's own rules, never "start + 24 h".
/// </summary>
internal static class NightCalendar
{
    private static readonly TimeOnly Noon = new(12, 0);

    /// <summary>The night a lights-off instant belongs to.</summary>
    public static DateOnly NightOf(DateTimeOffset lightsOff, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(lightsOff, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        return TimeOnly.FromDateTime(local.DateTime) < Noon ? date.AddDays(-1) : date;
    }

    /// <summary>The instants [Start, End) whose lights-off belongs to the night of <paramref name="night"/>.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Window(DateOnly night, TimeZoneInfo zone) =>
        (LocalNoon(night, zone), LocalNoon(night.AddDays(1), zone));

    private static DateTimeOffset LocalNoon(DateOnly date, TimeZoneInfo zone)
    {
        // Noon is never inside a DST gap or overlap in any zone in use, so the offset is unambiguous.
        var local = date.ToDateTime(Noon, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

using Somnis.Hub.Detection;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Sleepers;

/// <summary>A sleeper's sleep debt from their stored nights.</summary>
/// <param name="Hours">Debt after the last finished night, hours, ≥ 0.</param>
/// <param name="Nights">Night dates counted.</param>
/// <param name="Through">The last night date counted; null without any finished night.</param>
public sealed record DebtSummary(double Hours, int Nights, DateOnly? Through);

/// <summary>
/// Sleep debt per sleeper across beds and transfers, from their stored nights with the live tracker's rule
/// (<see cref="SleepDebt"/>: need − TST per night, never below zero). Nights are counted by their date: when a transfer
/// splits one calendar night over two beds, its parts' sleep adds up to one night, instead of charging the need twice.
/// Nights still going on are not counted (as in the live tracker, where a night adds to the debt when it ends).
/// </summary>
internal static class SleeperDebt
{
    public static DebtSummary Compute(IEnumerable<NightRecord> nights, double needHours) => FromTotals(
        nights.Where(n => n.End is not null && n.Metrics is not null).Select(n => (n.NightDate, n.Metrics!.TotalSleepMin)), needHours);

    /// <summary>The debt after finished nights given as (night date, total sleep in minutes), in any order.</summary>
    public static DebtSummary FromTotals(IEnumerable<(DateOnly Date, double TotalSleepMin)> nights, double needHours)
    {
        var (hours, count, through) = Hours(nights, needHours);
        return new DebtSummary(Math.Round(hours, 3), count, through);
    }

    /// <summary>As <see cref="FromTotals"/>, unrounded.</summary>
    public static (double Hours, int Nights, DateOnly? Through) Hours(IEnumerable<(DateOnly Date, double TotalSleepMin)> nights, double needHours)
    {
        var (hours, count, through) = (0.0, 0, (DateOnly?)null);
        foreach (var (date, debt) in Accumulate(nights.GroupBy(n => n.Date).OrderBy(g => g.Key), n => n.TotalSleepMin, needHours))
        {
            (hours, count, through) = (debt, count + 1, date.Key);
        }

        return (hours, count, through);
    }

    /// <summary>The finished nights (with metrics) grouped by night date, oldest first: the parts of a night that a
    /// transfer split over two beds are one date.</summary>
    internal static IEnumerable<IGrouping<DateOnly, NightRecord>> ByNightDate(IEnumerable<NightRecord> nights) =>
        nights.Where(n => n.End is not null && n.Metrics is not null).GroupBy(n => n.NightDate).OrderBy(g => g.Key);

    /// <summary>The debt in hours after each night date of stored nights (the dates in order, as <see cref="ByNightDate"/>
    /// gives them).</summary>
    internal static IEnumerable<(IGrouping<DateOnly, NightRecord> Date, double Hours)> Accumulate(IEnumerable<IGrouping<DateOnly, NightRecord>> dates, double needHours) =>
        Accumulate(dates, n => n.Metrics!.TotalSleepMin, needHours);

    /// <summary>The debt in hours after each night date, the dates in order; a date's parts' sleep adds up to one night.</summary>
    private static IEnumerable<(IGrouping<DateOnly, T> Date, double Hours)> Accumulate<T>(IEnumerable<IGrouping<DateOnly, T>> dates, Func<T, double> totalSleepMin, double needHours)
    {
        var debt = new SleepDebt(needHours);
        foreach (var date in dates)
        {
            yield return (date, debt.AddNight(TimeSpan.FromMinutes(date.Sum(totalSleepMin))));
        }
    }
}

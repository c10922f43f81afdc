using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Tests.Nights;

/// <summary>Finished nights written through the store seam, as the night writer would, for tests that read them.</summary>
internal static class StoredNights
{
    public static NightMetrics Metrics(double tst, double stimulated, double sleepingHr = 55) => new(
        TimeInBedMin: 480, TotalSleepMin: tst, SleepEfficiency: tst / 480, SleepOnsetLatencyMin: 15, WasoMin: 480 - tst - 15, Awakenings: 4,
        ArousalIndex: 4 / (tst / 60), MeanSleepingHr: sleepingHr, MeanWakingHr: 66, HrDip: (66 - sleepingHr) / 66, StimulatedMin: stimulated,
        EfficiencyStimulated: null, EfficiencyUnstimulated: null, NeedHours: 7, IsShort: tst < 420);

    /// <summary>Writes a finished night that began at <paramref name="start"/> (its date in UTC) with a few epochs.</summary>
    public static NightKey Write(INightStore store, string bed, DateTimeOffset start, double tst, double stimulated, string facility = "nexus",
        IReadOnlyList<NightAssessment>? assessments = null)
    {
        var key = new NightKey(facility, bed, start);
        StoredEpoch[] epochs =
        [
            new(0, EpochState.Wake, 0.2, 12, 64, true, false),
            new(1, EpochState.Sleep, 0.9, 0, 55, true, stimulated > 0),
            new(2, EpochState.Sleep, 0.95, 0, 54, true, false),
        ];
        store.WriteNights([new NightChange(key, NightCalendar.NightOf(start, TimeZoneInfo.Utc), epochs, Metrics(tst, stimulated), assessments, start.AddHours(8))],
            start.AddHours(8));
        return key;
    }
}

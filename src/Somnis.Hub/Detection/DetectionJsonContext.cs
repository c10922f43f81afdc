using System.Text.Json.Serialization;

namespace Somnis.Hub.Detection;

/// <summary>The night summary <see cref="AnalyzeCommand"/> prints on standard output.</summary>
internal sealed record AnalyzeSummary(
    int Epochs,
    double LightsOffSeconds,
    double TimeInBedMin,
    double TotalSleepMin,
    double? SleepEfficiency,
    double? SleepOnsetLatencyMin,
    double WasoMin,
    int Awakenings,
    double? ArousalIndex,
    double? MeanSleepingHr,
    double? HrDip,
    double NeedHours,
    bool ShortNight)
{
    public static AnalyzeSummary From(NightMetrics m, int epochs, double lightsOffSeconds) => new(
        epochs, lightsOffSeconds, m.TimeInBedMin, m.TotalSleepMin, Round(m.SleepEfficiency), m.SleepOnsetLatencyMin,
        m.WasoMin, m.Awakenings, Round(m.ArousalIndex), Round(m.MeanSleepingHr), Round(m.HrDip), m.NeedHours, m.IsShort);

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 3) : null;
}

/// <summary>Source-generated JSON for the detection commands (no reflection, trimming-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnalyzeSummary))]
[JsonSerializable(typeof(ValidationData))]
internal sealed partial class DetectionJsonContext : JsonSerializerContext;

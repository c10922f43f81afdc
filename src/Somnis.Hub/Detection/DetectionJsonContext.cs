using System.Text.Json.Nodes;
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
    bool ShortNight,
    double ExpectedSleepMin,
    double NoSignalMin,
    double ExpectedWasoMin,
    IReadOnlyList<AnalyzeAssessment> Assessments)
{
    public static AnalyzeSummary From(NightMetrics m, int epochs, double lightsOffSeconds, IReadOnlyList<AnalyzeAssessment> assessments) => new(
        epochs, lightsOffSeconds, m.TimeInBedMin, m.TotalSleepMin, Round(m.SleepEfficiency), m.SleepOnsetLatencyMin,
        m.WasoMin, m.Awakenings, Round(m.ArousalIndex), Round(m.MeanSleepingHr), Round(m.HrDip), m.NeedHours, m.IsShort,
        Math.Round(m.ExpectedSleepMin, 1), m.NoSignalMin, Math.Round(m.ExpectedWasoMin, 1), assessments);

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 3) : null;
}

/// <summary>One assessment found in a recorded night: its type, when it held (seconds from the recording start) and the
/// numbers behind it (<see cref="AnalyzeAssessments"/>).</summary>
internal sealed record AnalyzeAssessment(string Type, double Start, double End, JsonObject Evidence);

/// <summary>Source-generated JSON for the detection commands (no reflection, trimming-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnalyzeSummary))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(ValidationData))]
internal sealed partial class DetectionJsonContext : JsonSerializerContext;

using System.Text.Json;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Alarms;

/// <summary>
/// An alarm's <c>evidence</c>: the detection's evidence record, or the technical condition's, as JSON (source-generated).
/// Callers build it only while a condition holds: a clear carries none, and serialising it for every healthy bed on every
/// alarm-clock tick made a JSON document per bed per tick, for nothing (docs/performance.md, "What was changed", alarm clock).
/// </summary>
internal static class AlarmEvidence
{
    /// <summary>A detection assessment's evidence (null for none or an unknown kind).</summary>
    public static JsonElement? Of(object? evidence) => evidence switch
    {
        null => null,
        ArchitectDeprivationEvidence e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.ArchitectDeprivationEvidence),
        AcuteSleepLossEvidence e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.AcuteSleepLossEvidence),
        ArousalEpisode e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.ArousalEpisode),
        FacilityIncident e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.FacilityIncident),
        JsonElement e => e,
        _ => null,
    };

    public static JsonElement DataGap(string detail) =>
        JsonSerializer.SerializeToElement(new DataGapEvidence(detail), HubJsonContext.Default.DataGapEvidence);

    public static JsonElement ClockSkew(TimeSpan skew, double limitSeconds) =>
        JsonSerializer.SerializeToElement(new ClockSkewEvidence(Math.Round(skew.TotalSeconds, 3), limitSeconds), HubJsonContext.Default.ClockSkewEvidence);

    /// <summary>Liveness and sensor health of a bed (edge-offline, stale-data, sensor-fault).</summary>
    public static JsonElement BedCondition(BedSummary bed) =>
        JsonSerializer.SerializeToElement(
            new BedConditionEvidence(bed.LastSeen, bed.LastEventTime, [.. bed.Sensors.Where(s => !s.Healthy)]),
            HubJsonContext.Default.BedConditionEvidence);
}

public sealed record DataGapEvidence(string Detail);

public sealed record ClockSkewEvidence(double SkewSeconds, double LimitSeconds);

/// <summary>Evidence of the liveness and sensor alarms.</summary>
public sealed record BedConditionEvidence(DateTimeOffset? LastSeen, DateTimeOffset? LastEventTime, IReadOnlyList<SensorHealth>? FaultySensors);

using Somnis.Hub.Detection;

namespace Somnis.Hub.Alarms;

/// <summary>The stable alarm type names (docs/alarms.md). Clinical types are the detection assessments' names.</summary>
internal static class AlarmTypes
{
    public const string ArchitectDeprivation = AssessmentTypes.ArchitectDeprivation;
    public const string AcuteSleepLoss = AssessmentTypes.AcuteSleepLoss;
    public const string SustainedArousal = AssessmentTypes.SustainedArousal;
    public const string FacilityIncident = AssessmentTypes.FacilityIncident;
    public const string EdgeOffline = "edge-offline";
    public const string SensorFault = "sensor-fault";
    public const string StaleData = "stale-data";
    public const string DataGap = "data-gap";
    public const string ClockSkew = "clock-skew";

    public static readonly IReadOnlyList<string> All =
        [ArchitectDeprivation, AcuteSleepLoss, SustainedArousal, FacilityIncident, EdgeOffline, SensorFault, StaleData, DataGap, ClockSkew];

    /// <summary>Technical alarms (IEC 60601-1-8 "INOP"): about the equipment, shown as their own class.</summary>
    public static bool IsTechnical(string type) => type is EdgeOffline or SensorFault or StaleData or DataGap or ClockSkew;

    /// <summary>Which clock a type's on-delay and off-delay run on. Liveness types are judged precisely when no
    /// device data arrives, so they can only use the hub's clock; every other type follows the device's event time,
    /// so an accelerated night behaves like a real one.</summary>
    public static AlarmClockKind ClockOf(string type) => type is EdgeOffline or StaleData ? AlarmClockKind.Hub : AlarmClockKind.Event;

    /// <summary>Suppression by design (docs/alarms.md): the type whose active alarm on the same bed explains this one.
    /// An offline edge explains its equipment alarms; an Architect depriving the sleeper explains the arousals it causes.</summary>
    public static string? SuppressedBy(string type) => type switch
    {
        SensorFault or StaleData or DataGap or ClockSkew => EdgeOffline,
        SustainedArousal => ArchitectDeprivation,
        _ => null,
    };
}

internal enum AlarmClockKind
{
    /// <summary>Device timestamps (the newest event time of the bed, or of the facility for facility alarms).</summary>
    Event,

    /// <summary>The hub's <see cref="TimeProvider"/>.</summary>
    Hub,
}

/// <summary>Priorities per IEC 60601-1-8.</summary>
internal static class AlarmPriorities
{
    public const string High = "high";
    public const string Medium = "medium";
    public const string Low = "low";

    public static readonly IReadOnlyList<string> All = [High, Medium, Low];

    public static int Rank(string priority) => priority switch { High => 3, Medium => 2, Low => 1, _ => 0 };
}

/// <summary>The ISA-18.2 states an alarm is shown in (docs/alarms.md, "States").</summary>
internal static class AlarmStates
{
    public const string ActiveUnacknowledged = "active-unacknowledged";
    public const string ActiveAcknowledged = "active-acknowledged";
    public const string ClearedUnacknowledged = "cleared-unacknowledged";
    public const string Cleared = "cleared";
    public const string Shelved = "shelved";
    public const string Suppressed = "suppressed";

    public static readonly IReadOnlyList<string> All = [ActiveUnacknowledged, ActiveAcknowledged, ClearedUnacknowledged, Cleared, Shelved, Suppressed];
}

namespace Somnis.Hub.Detection;

/// <summary>The assessment types (stable names, used as alarm types; docs/detection.md).</summary>
internal static class AssessmentTypes
{
    public const string ArchitectDeprivation = Detection.ArchitectDeprivation.Code;
    public const string AcuteSleepLoss = Detection.AcuteSleepLoss.Code;
    public const string SustainedArousal = Detection.SustainedArousal.Code;
    public const string FacilityIncident = FacilityIncidentDetector.Code;
}

/// <summary>
/// An assessment became true, stayed true with new evidence, or became false, for one bed (or, for
/// <c>facility-incident</c>, a facility: <see cref="Bed"/> null). Times are event time.
/// </summary>
/// <param name="Type">One of <see cref="AssessmentTypes"/>.</param>
/// <param name="Active">The condition holds now.</param>
/// <param name="EventTime">Event time of the evidence (end of the newest epoch it rests on).</param>
/// <param name="Summary">One line for technicians, e.g. "kept awake 78 % of 26 stimulated min, HR +22 %".</param>
/// <param name="Evidence">The numbers that triggered it (a record from Assessments.cs), or null when inactive.</param>
/// <param name="Beds">For a facility incident: the beds whose arousal began together.</param>
internal sealed record AssessmentUpdate(
    string Type,
    string Facility,
    string? Bed,
    bool Active,
    DateTimeOffset EventTime,
    string Summary,
    object? Evidence,
    IReadOnlyList<string>? Beds = null)
{
    /// <summary>Sequence number of the bed's data message whose processing produced this change (null when not from one).</summary>
    public long? Seq { get; init; }
}

using Somnis.Hub.Beds;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Api;

/// <summary>Sleep of a bed: tonight's scored epochs (hypnogram), metrics, assessments, and past nights.</summary>
internal static class NightApi
{
    public static void MapNightApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Sleep");
        api.MapGet("/beds/{id}/night", (string id, string? facility, BedRegistry beds, DetectionService detection) =>
            {
                var bed = beds.Find(id, facility);
                if (bed is null)
                {
                    return Results.Problem($"no bed '{id}'", statusCode: StatusCodes.Status404NotFound);
                }

                var night = detection.Night(bed.Facility, bed.Id);
                return Results.Ok(NightView.From(bed.Facility, bed.Id, night));
            })
            .WithSummary("Tonight's 30-s epochs (sleep / wake / out-of-bed / no-signal with p(sleep)), night metrics so far, active assessments, past nights and sleep debt.");
        api.MapGet("/incidents", (DetectionService detection) =>
                TypedResults.Ok(detection.ActiveIncidents().Select(AssessmentView.From).ToList()))
            .WithSummary("Open facility incidents.");
    }
}

public sealed record EpochView(DateTimeOffset Start, string State, double PSleep, double? HeartRate, double? ActivityCount, bool Stimulating);

public sealed record AssessmentView(string Type, string Facility, string? Bed, DateTimeOffset EventTime, string Summary, IReadOnlyList<string>? Beds)
{
    internal static AssessmentView From(AssessmentUpdate a) => new(a.Type, a.Facility, a.Bed, a.EventTime, a.Summary, a.Beds);
}

public sealed record NightView(
    string Bed,
    string Facility,
    DateTimeOffset? NightStart,
    IReadOnlyList<EpochView> Epochs,
    EpochView? Provisional,
    object? Metrics,
    double? BaselineHeartRate,
    double DebtHours,
    IReadOnlyList<AssessmentView> Assessments,
    IReadOnlyList<object> PastNights)
{
    internal static NightView From(string facility, string bed, BedNight? night) => night is null
        ? new NightView(bed, facility, null, [], null, null, null, 0, [], [])
        : new NightView(
            bed,
            facility,
            night.NightStart,
            [.. night.Epochs.Select(Epoch)],
            night.Provisional is { } p ? Epoch(p) : null,
            night.Metrics,
            night.BaselineHeartRate,
            night.DebtHours,
            [.. night.Assessments.Select(AssessmentView.From)],
            [.. night.PastNights]);

    private static EpochView Epoch(ScoredEpoch e) => new(
        e.Start,
        e.State switch { EpochState.Sleep => "sleep", EpochState.Wake => "wake", EpochState.NoSignal => "no-signal", _ => "out-of-bed" },
        Math.Round(e.PSleep, 3),
        e.MeanHeartRate is { } hr ? Math.Round(hr, 1) : null,
        e.ActivityCount,
        e.Stimulating);
}

using Somnis.Hub.Beds;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Api;

/// <summary>Sleep of a bed: tonight's scored epochs (hypnogram), metrics, assessments, and past nights.</summary>
internal static class NightApi
{
    /// <summary>Past nights listed with a bed's night (the bed page charts the last 14).</summary>
    private const int PastNights = 30;

    /// <summary>How far back a bed's own unassigned nights are looked for.</summary>
    private static readonly TimeSpan PastWindow = TimeSpan.FromDays(60);

    public static void MapNightApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Sleep");
        api.MapGet("/beds/{id}/night", (string id, string? facility, BedRegistry beds, DetectionService detection, SleeperLedger ledger, INightStore nights) =>
            {
                // A bed known live, or one whose night was restored at start-up and that has sent nothing since.
                var where = beds.Find(id, facility)?.Facility ?? detection.FacilityOf(id, facility);
                if (where is null)
                {
                    return Results.Problem($"no bed '{id}'", statusCode: StatusCodes.Status404NotFound);
                }

                var night = detection.Night(where, id);
                var sleeper = ledger.Current(where, id);
                var past = Past(where, id, sleeper?.Id, night?.NightId, ledger, nights, night?.NightStart ?? beds.Find(id, where)?.LastEventTime);
                return Results.Ok(NightView.From(where, id, night, sleeper, ledger.Debt(sleeper?.Id, where, id).Hours, past));
            })
            .WithSummary("Tonight's 30-s epochs (sleep / wake / out-of-bed / no-signal with p(sleep)), night metrics so far, active assessments; the sleeper admitted now; their past nights of record (else the bed's unassigned ones), oldest first, and their sleep debt from them.");
        api.MapGet("/incidents", (DetectionService detection) =>
                TypedResults.Ok(detection.ActiveIncidents().Select(AssessmentView.From).ToList()))
            .WithSummary("Open facility incidents.");
    }

    /// <summary>The finished nights of a bed's debt owner (its sleeper, across beds; else the bed's unassigned nights), oldest
    /// first, each with the debt after it.</summary>
    private static List<object> Past(string facility, string bed, string? sleeper, string? tonight, SleeperLedger ledger, INightStore nights, DateTimeOffset? now)
    {
        var stored = sleeper is not null
            ? nights.SleeperNights(sleeper, null, PastNights + 1)
            : nights.BedNights(facility, bed, (now ?? DateTimeOffset.MaxValue) - PastWindow, DateTimeOffset.MaxValue).Where(n => n.SleeperId is null).Reverse();
        return [.. stored.Where(n => n.End is not null && n.Metrics is not null && n.Id != tonight).Take(PastNights).Reverse()
            .Select(n => (object)new PastNightView(n.Id, n.Facility, n.Bed, n.Start, n.End, n.Metrics!,
                ledger.Debt(sleeper, facility, bed, n.NightDate).Hours, ledger.Find(n.SleeperId)))];
    }
}

/// <summary>A finished night of record as a bed's night lists it; <see cref="Id"/> fetches its hypnogram
/// (<c>GET /api/nights/{id}</c>); <see cref="DebtHours"/> is the owner's debt after it.</summary>
internal sealed record PastNightView(string Id, string Facility, string Bed, DateTimeOffset Start, DateTimeOffset? End, NightMetrics Metrics,
    double DebtHours, SleeperRef? Sleeper);

public sealed record EpochView(DateTimeOffset Start, string State, double PSleep, double? HeartRate, double? ActivityCount, bool Stimulating);

public sealed record AssessmentView(string Type, string Facility, string? Bed, DateTimeOffset EventTime, string Summary, IReadOnlyList<string>? Beds)
{
    internal static AssessmentView From(AssessmentUpdate a) => new(a.Type, a.Facility, a.Bed, a.EventTime, a.Summary, a.Beds);
}

/// <param name="DebtHours">The sleeper's debt over their finished nights of record (a bed nobody is admitted to: over its
/// own unassigned nights).</param>
/// <param name="PastNights">Their finished nights, oldest first (<c>PastNightView</c>: id, start, end, metrics, debt after it).</param>
/// <param name="Sleeper">The sleeper admitted to the bed now; null when nobody is.</param>
/// <param name="NightId">Tonight's night of record (<c>GET /api/nights/{id}</c>), while one goes on.</param>
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
    IReadOnlyList<object> PastNights,
    SleeperRef? Sleeper = null,
    string? NightId = null)
{
    internal static NightView From(string facility, string bed, BedNight? night, SleeperRef? sleeper, double debtHours, IReadOnlyList<object> past) => night is null
        ? new NightView(bed, facility, null, [], null, null, null, debtHours, [], past, sleeper)
        : new NightView(
            bed,
            facility,
            night.NightStart,
            [.. night.Epochs.Select(Epoch)],
            night.Provisional is { } p ? Epoch(p) : null,
            night.Metrics,
            night.BaselineHeartRate,
            debtHours,
            [.. night.Assessments.Select(AssessmentView.From)],
            past,
            sleeper,
            night.NightId);

    private static EpochView Epoch(ScoredEpoch e) => new(
        e.Start,
        e.State switch { EpochState.Sleep => "sleep", EpochState.Wake => "wake", EpochState.NoSignal => "no-signal", _ => "out-of-bed" },
        Math.Round(e.PSleep, 3),
        e.MeanHeartRate is { } hr ? Math.Round(hr, 1) : null,
        e.ActivityCount,
        e.Stimulating);
}

using Somnis.Hub.Auth;
using Somnis.Hub.Beds;

namespace Somnis.Hub.Storage;

/// <summary><c>GET /api/beds/{id}/vitals</c>: a bed's stored vitals between two device times (docs/storage.md).</summary>
internal static class HistoryApi
{
    public const int DefaultLimit = 10_000;
    public const int MaxLimit = 50_000;
    private static readonly TimeSpan DefaultSpan = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapVitalsHistory(this RouteGroupBuilder api)
    {
        api.MapGet("/beds/{id}/vitals", Get)
            .RequireAuthorization(AuthExtensions.TechnicianPolicy)
            .WithSummary("A bed's stored vitals, oldest first. from/to: ISO 8601 device times (default: the 24 h up to the newest stored); limit 1–50000 (default 10000).");
        return api;
    }

    internal static IResult Get(string id, string? facility, DateTimeOffset? from, DateTimeOffset? to, int? limit, SomnisStore store, BedRegistry beds, TimeProvider time)
    {
        var max = limit ?? DefaultLimit;
        if (max is < 1 or > MaxLimit)
        {
            return Results.Problem($"limit must be between 1 and {MaxLimit}", statusCode: StatusCodes.Status400BadRequest);
        }

        if (from is { } f0 && to is { } t0 && f0 > t0)
        {
            return Results.Problem("from must not be after to", statusCode: StatusCodes.Status400BadRequest);
        }

        if (facility is null)
        {
            // The live registry knows the bed's facility; after a restart only the history may.
            facility = beds.Find(id)?.Facility;
            if (facility is null)
            {
                var known = store.FacilitiesOf(id);
                if (known.Count > 1)
                {
                    return Results.Problem($"bed '{id}' has history in several facilities ({string.Join(", ", known)}): add ?facility=", statusCode: StatusCodes.Status400BadRequest);
                }

                facility = known.Count == 1 ? known[0] : null;
            }
        }

        var newest = facility is null ? null : store.LatestVitalsTime(facility, id);
        if (facility is null || newest is null && beds.Find(id, facility) is null)
        {
            return Results.Problem($"no bed '{id}'", statusCode: StatusCodes.Status404NotFound);
        }

        // A bed known live but with nothing stored yet gets the last 24 h up to now: an empty, well-formed answer.
        var end = to ?? newest ?? time.GetUtcNow();
        var start = from ?? end - DefaultSpan;
        var points = store.ReadVitals(facility, id, start, end, max);
        return TypedResults.Ok(new VitalsHistory(id, facility, start, end, points, Truncated: points.Count == max));
    }
}

/// <summary>A bed's stored vitals between <see cref="From"/> and <see cref="To"/> (inclusive, device time). When
/// <see cref="Truncated"/>, more points exist: ask again from the last point's time.</summary>
public sealed record VitalsHistory(string Bed, string Facility, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<VitalsPoint> Points, bool Truncated);

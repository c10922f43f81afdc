using Somnis.Hub.Beds;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Api;

/// <summary>The beds API (docs/protocol.md, "Hub API"). Every route needs a signed-in technician or supervisor.</summary>
internal static class BedsApi
{
    public static void MapBedsApi(this WebApplication app)
    {
        // The sleeper admitted to each bed comes with the bed itself (BedSummary.Sleeper, from the SleeperLedger in memory),
        // so the API and the live feed say the same and neither waits on the store.
        var api = app.MapGroup("/api").WithTags("Beds");
        api.MapGet("/beds", (BedRegistry beds) => TypedResults.Ok(beds.All()))
            .WithSummary("Every bed with its live state and the sleeper admitted to it ({ id, name } or null).");
        api.MapGet("/beds/{id}", (string id, string? facility, BedRegistry beds) =>
                beds.Find(id, facility) is { } bed ? Results.Ok(bed) : Results.Problem($"no bed '{id}'", statusCode: StatusCodes.Status404NotFound))
            .Produces<BedSummary>()
            .WithSummary("One bed with its live state and the sleeper admitted to it ({ id, name } or null).");
        api.MapVitalsHistory();
        api.MapGet("/ingestion", (IngestionPipeline pipeline) => TypedResults.Ok(new IngestionStats(pipeline.Accepted, pipeline.Rejected)))
            .WithSummary("Messages accepted and rejected (by reason) since the hub started.");
    }
}

public sealed record IngestionStats(long Accepted, IReadOnlyDictionary<string, long> Rejected);

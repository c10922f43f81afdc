using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Somnis.Hub.Beds;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Api;

/// <summary>The beds API (docs/protocol.md, "Hub API"). Every route needs a signed-in technician or supervisor.</summary>
internal static class BedsApi
{
    public static void MapBedsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Beds");
        api.MapGet("/beds", (BedRegistry beds, ISleeperStore sleepers, ILogger<BedRegistry> logger) =>
                BedSleepers.Json(beds.All(), sleepers, logger))
            .Produces<IReadOnlyList<BedSummary>>()
            .WithSummary("Every bed with its live state and the sleeper admitted to it ({ id, name } or null).");
        api.MapGet("/beds/{id}", (string id, string? facility, BedRegistry beds, ISleeperStore sleepers, ILogger<BedRegistry> logger) =>
                beds.Find(id, facility) is { } bed
                    ? BedSleepers.Json([bed], sleepers, logger, one: true)
                    : Results.Problem($"no bed '{id}'", statusCode: StatusCodes.Status404NotFound))
            .Produces<BedSummary>()
            .WithSummary("One bed with its live state and the sleeper admitted to it ({ id, name } or null).");
        api.MapVitalsHistory();
        api.MapGet("/ingestion", (IngestionPipeline pipeline) => TypedResults.Ok(new IngestionStats(pipeline.Accepted, pipeline.Rejected)))
            .WithSummary("Messages accepted and rejected (by reason) since the hub started.");
    }
}

public sealed record IngestionStats(long Accepted, IReadOnlyDictionary<string, long> Rejected);

/// <summary>
/// The sleeper admitted to each bed now, added to the beds' JSON as <c>sleeper: { id, name }</c> (null: nobody), so the
/// pages show the name next to the bed. Kept out of <see cref="BedSummary"/> (and the live feed) on purpose: the live
/// view must not wait on the store, and when the store cannot be read the field is left out (the pages then show no
/// name) rather than failing the beds.
/// </summary>
internal static class BedSleepers
{
    public static IResult Json(IReadOnlyList<BedSummary> beds, ISleeperStore store, ILogger logger, bool one = false)
    {
        var admitted = Admitted(store, logger);
        var nodes = beds.Select(b => With(b, admitted)).ToArray();
        JsonNode body = one ? nodes[0] : new JsonArray(nodes);
        return Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
    }

    private static Dictionary<(string Facility, string Bed), (string Id, string Name)>? Admitted(ISleeperStore store, ILogger logger)
    {
        try
        {
            var names = store.Sleepers().ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
            return store.CurrentAdmissions().ToDictionary(a => (a.Facility, a.Bed), a => (a.SleeperId, names.GetValueOrDefault(a.SleeperId, a.SleeperId)));
        }
        // DbException: SQLite's and PostgreSQL's (a PostgreSQL outage must not take the live bed view down with it).
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException or TimeoutException)
        {
            Log.BedSleepersUnavailable(logger, ex.Message);
            return null;
        }
    }

    private static JsonObject With(BedSummary bed, Dictionary<(string Facility, string Bed), (string Id, string Name)>? admitted)
    {
        // The live feed's own serialisation of the bed, so both answer the same fields.
        var node = JsonSerializer.SerializeToNode(bed, HubJsonContext.Default.BedSummary)!.AsObject();
        if (admitted is not null)
        {
            node["sleeper"] = admitted.TryGetValue((bed.Facility, bed.Id), out var s) ? new JsonObject { ["id"] = s.Id, ["name"] = s.Name } : null;
        }

        return node;
    }
}

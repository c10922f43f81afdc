using System.Text.Json;
using System.Text.Json.Serialization;
using Somnis.Hub.Api;
using Somnis.Hub.Auth;
using Somnis.Hub.Beds;

namespace Somnis.Hub;

/// <summary>Source-generated JSON for the hub's API and live feed (camelCase, nulls written as null).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BedSummary))]
[JsonSerializable(typeof(IReadOnlyList<BedSummary>))]
[JsonSerializable(typeof(IngestionStats))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(List<Somnis.Hub.Ingestion.BedDeliveryState>))]
internal sealed partial class HubJsonContext : JsonSerializerContext;

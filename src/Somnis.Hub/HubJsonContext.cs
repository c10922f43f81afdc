using System.Text.Json;
using System.Text.Json.Serialization;
using Somnis.Hub.Api;
using Somnis.Hub.Auth;
using Somnis.Hub.Beds;
using Somnis.Hub.Storage;

namespace Somnis.Hub;

/// <summary>Source-generated JSON for the hub's API and live feed (camelCase, nulls written as null).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BedSummary))]
[JsonSerializable(typeof(IReadOnlyList<BedSummary>))]
[JsonSerializable(typeof(IngestionStats))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(NightView))]
[JsonSerializable(typeof(List<AssessmentView>))]
[JsonSerializable(typeof(Somnis.Hub.Detection.NightMetrics))]
[JsonSerializable(typeof(Somnis.Hub.Detection.NightSummary))]
[JsonSerializable(typeof(VitalsHistory))]
[JsonSerializable(typeof(Somnis.Hub.Dashboard.DashboardLayout))]
[JsonSerializable(typeof(Somnis.Hub.Dashboard.NightReport))]
[JsonSerializable(typeof(IReadOnlyList<Somnis.Hub.Dashboard.Sparkline>))]
[JsonSerializable(typeof(List<Somnis.Hub.Ingestion.BedDeliveryState>))]
internal sealed partial class HubJsonContext : JsonSerializerContext;

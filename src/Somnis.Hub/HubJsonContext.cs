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
[JsonSerializable(typeof(Somnis.Hub.Cluster.StandbyRefusal))]
[JsonSerializable(typeof(Somnis.Hub.Cluster.FeedHello))]
[JsonSerializable(typeof(Somnis.Hub.Cluster.ClusterView))]
[JsonSerializable(typeof(IReadOnlyList<BedSummary>))]
[JsonSerializable(typeof(IngestionStats))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(IReadOnlyList<Lockout>))]
[JsonSerializable(typeof(NightView))]
[JsonSerializable(typeof(List<AssessmentView>))]
[JsonSerializable(typeof(Somnis.Hub.Detection.NightMetrics))]
[JsonSerializable(typeof(Somnis.Hub.Detection.NightSummary))]
[JsonSerializable(typeof(VitalsHistory))]
[JsonSerializable(typeof(Somnis.Hub.Dashboard.DashboardLayout))]
[JsonSerializable(typeof(Somnis.Hub.Dashboard.NightReport))]
[JsonSerializable(typeof(IReadOnlyList<Somnis.Hub.Dashboard.Sparkline>))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.Alarm))]
[JsonSerializable(typeof(IReadOnlyList<Somnis.Hub.Alarms.Alarm>))]
[JsonSerializable(typeof(List<Somnis.Hub.Alarms.Alarm>))]
[JsonSerializable(typeof(IReadOnlyList<Somnis.Hub.Alarms.AuditEntry>))]
[JsonSerializable(typeof(List<Somnis.Hub.Alarms.AlarmKpis>))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.InterlockView))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.AckRequest))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.ShelveRequest))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.CommentRequest))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.AssignRequest))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.ArchitectRequest))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.DataGapEvidence))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.ClockSkewEvidence))]
[JsonSerializable(typeof(Somnis.Hub.Alarms.BedConditionEvidence))]
[JsonSerializable(typeof(Somnis.Hub.Detection.ArchitectDeprivationEvidence))]
[JsonSerializable(typeof(Somnis.Hub.Detection.AcuteSleepLossEvidence))]
[JsonSerializable(typeof(Somnis.Hub.Detection.ArousalEpisode))]
[JsonSerializable(typeof(Somnis.Hub.Detection.FacilityIncident))]
internal sealed partial class HubJsonContext : JsonSerializerContext;

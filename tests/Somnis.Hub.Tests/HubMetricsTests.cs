using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.TimeSeries;

namespace Somnis.Hub.Tests;

/// <summary>
/// The series that operators' tools query are series the hub really writes: every metric in the Grafana dashboard
/// (deploy/grafana) and in the alert rules (deploy/prometheus) is one of the hub's instruments as its Prometheus exporter
/// names it, or one of the vitals series as the time-series sink writes them (VictoriaMetrics names an InfluxDB field
/// <c>measurement_field</c>).
/// </summary>
public sealed partial class HubMetricsTests
{
    /// <summary>The meters the hub exports at /metrics (HubComposition.AddSomnisDefaults).</summary>
    private static readonly HashSet<string> ExportedMeters = [HubMetrics.MeterName, "Polly", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    /// <summary>PromQL words that are not metric names.</summary>
    private static readonly HashSet<string> Keywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"];

    private static readonly string Repo = FindRepo();

    [Fact]
    public async Task Every_series_the_dashboard_and_the_alert_rules_query_is_written_by_the_hub()
    {
        var known = (await ExportedNames()).Concat(StoredSeries()).Append("up").ToHashSet(StringComparer.Ordinal);
        var used = DashboardQueries().Concat(RuleExpressions()).SelectMany(q => MetricNames(q).Select(n => (Name: n, Query: q))).ToList();
        Assert.True(used.Count > 40, $"only {used.Count} series references found: is the parsing right?");
        var unknown = used.Where(u => !known.Contains(u.Name)).Select(u => $"{u.Name} in: {u.Query}").Distinct().ToList();
        Assert.True(unknown.Count == 0, "not written by the hub:\n" + string.Join("\n", unknown));
    }

    [Fact]
    public async Task The_prometheus_names_computed_here_are_the_exporters_own()
    {
        var computed = await ExportedNames();
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        var scraped = MetricLine().Matches(await client.GetStringAsync("/metrics")).Select(m => m.Groups[1].Value).Where(n => n.StartsWith("somnis_", StringComparison.Ordinal)).ToHashSet();
        Assert.NotEmpty(scraped);
        Assert.Empty(scraped.Except(computed));
    }

    [Fact]
    public void The_dashboard_is_a_grafana_import_with_its_two_data_sources()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var root = doc.RootElement;
        Assert.Equal("somnis-facility", root.GetProperty("uid").GetString());
        var inputs = root.GetProperty("__inputs").EnumerateArray().Select(i => "${" + i.GetProperty("name").GetString() + "}").ToHashSet();
        Assert.Equal(["${DS_PROMETHEUS}", "${DS_VITALS}"], inputs.Order());
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var target in panels.Where(p => p.TryGetProperty("targets", out _)).SelectMany(p => p.GetProperty("targets").EnumerateArray()))
        {
            Assert.Contains(target.GetProperty("datasource").GetProperty("uid").GetString()!, inputs);
            Assert.False(string.IsNullOrWhiteSpace(target.GetProperty("expr").GetString()));
        }
    }

    [Theory]
    [InlineData("sum by (kind) (rate(somnis_ingest_accepted_total{instance=~\"$instance\"}[$__rate_interval]))", "somnis_ingest_accepted_total")]
    [InlineData("increase(a_total[5m]) > 0 or increase(b_total[5m]) > 0", "a_total,b_total")]
    [InlineData("label_values(vitals_heart_rate{facility=\"$facility\"}, bed)", "vitals_heart_rate")]
    [InlineData("somnis_influx_lag_seconds > 300", "somnis_influx_lag_seconds")]
    public void Metric_names_are_found_in_queries(string query, string names) =>
        Assert.Equal(names.Split(','), MetricNames(query));

    private static string DashboardFile => Path.Combine(Repo, "deploy", "grafana", "somnis-facility.json");

    private static IEnumerable<string> DashboardQueries()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var root = doc.RootElement;
        var targets = root.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!);
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("definition").GetString()!);
        return [.. targets, .. variables];
    }

    private static IEnumerable<string> RuleExpressions() =>
        File.ReadAllLines(Path.Combine(Repo, "deploy", "prometheus", "somnis.rules.yml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("expr:", StringComparison.Ordinal))
            .Select(l => l[5..].Trim());

    /// <summary>The metric names of a PromQL expression (or a Grafana <c>label_values(metric, label)</c> query).</summary>
    private static List<string> MetricNames(string query)
    {
        var s = LabelValues().Replace(query, "$1");
        s = Strings().Replace(s, "\"\"");
        s = Matchers().Replace(s, "");
        s = Ranges().Replace(s, "");
        s = Groupings().Replace(s, "");
        return [.. Identifiers().Matches(s).Select(m => m.Value).Where(n => !Keywords.Contains(n)).Distinct()];
    }

    /// <summary>Every Prometheus series name of the hub's instruments: created by starting a hub and using each part that
    /// creates instruments on first use, seen by a listener, named as the OpenTelemetry Prometheus exporter names them.</summary>
    private static async Task<HashSet<string>> ExportedNames()
    {
        var instruments = new ConcurrentDictionary<Instrument, bool>();
        using var listener = new MeterListener { InstrumentPublished = (i, _) => instruments.TryAdd(i, true) };
        listener.Start();
        await using var hub = new HubFactory(new()
        {
            ["Influx:Url"] = "http://127.0.0.1:9/", ["Influx:Token"] = "t", ["Influx:Org"] = "o", ["Influx:Bucket"] = "b",
            ["Alarms:Webhook:Url"] = "http://127.0.0.1:9/hook",
        });
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "bm9ib2R5Om5vdGhpbmc=");
        await client.GetAsync("/api/beds");
        _ = hub.Services.GetRequiredService<InfluxSink>();
        _ = hub.Services.GetRequiredService<SignInGuard>();
        _ = hub.Services.GetRequiredService<AlarmWebhook>();
        using var webhookClient = hub.Services.GetRequiredService<IHttpClientFactory>().CreateClient(AlarmWebhook.HttpClientName);
        return [.. instruments.Keys.Where(i => ExportedMeters.Contains(i.Meter.Name)).SelectMany(PrometheusNames)];
    }

    private static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_').Replace('-', '_');
        var unit = instrument.Unit switch { "s" => "seconds", "ms" => "milliseconds", "By" => "bytes", _ => null };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        var kind = instrument.GetType().GetGenericTypeDefinition();
        return kind == typeof(Counter<>) || kind == typeof(ObservableCounter<>) ? [name + "_total"]
            : kind == typeof(Histogram<>) ? [name + "_bucket", name + "_sum", name + "_count"]
            : [name];
    }

    /// <summary>The time-series sink's series (measurement_field), from the line protocol it writes for a message with
    /// every field and an epoch with every field.</summary>
    private static IEnumerable<string> StoredSeries()
    {
        var full = new VitalsMessage
        {
            Bed = "bed-01", Seq = 1, Ts = DateTimeOffset.UnixEpoch, IntervalSeconds = 10, HeartRate = 60, RespirationRate = 14, ActivityCount = 1,
            SkinTemperature = 34, RoomTemperature = 21, BedPresence = true, SignalQuality = 1,
        };
        var epoch = new EpochPoint("nexus", "bed-01", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(30), "sleep", 0.9);
        foreach (var line in new[] { LineProtocol.Vitals("nexus", full), LineProtocol.Epoch(epoch) })
        {
            var parts = line.Split(' ');
            var measurement = parts[0].Split(',')[0];
            foreach (var field in parts[1].Split(','))
            {
                yield return $"{measurement}_{field.Split('=')[0]}";
            }
        }
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Somnis.Facility.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Somnis.Facility.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"label_values\(\s*([^,)]+)[^)]*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w$])\b[a-zA-Z_:][\w:]*\b(?!\s*\()")]
    private static partial Regex Identifiers();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}

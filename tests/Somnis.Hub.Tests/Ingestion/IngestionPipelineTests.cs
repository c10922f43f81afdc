using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class IngestionPipelineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services;
    private readonly FakeTimeProvider _time = new(T0);
    private readonly BedRegistry _beds;
    private readonly DeliveryTracker _delivery;
    private readonly string _data = Directory.CreateTempSubdirectory("somnis-pipeline-").FullName;
    private readonly TestLogger<IngestionPipeline> _log = new();
    private readonly IngestionPipeline _pipeline;
    private readonly MetricCollector<long> _rejectedMetric;

    public IngestionPipelineTests()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = _services.GetRequiredService<IMeterFactory>();
        _delivery = new DeliveryTracker(_time, Options.Create(new DeliveryOptions()), Options.Create(new HubOptions { DataDirectory = _data }), meters, new TestLogger<DeliveryTracker>());
        _beds = new BedRegistry(_time, Options.Create(new BedOptions()), _delivery);
        _pipeline = new IngestionPipeline(_beds, _delivery, new DetectionService(Options.Create(new DetectionOptions()), NullLogger<DetectionService>.Instance), meters, _log);
        _rejectedMetric = new MetricCollector<long>(meters, HubMetrics.MeterName, "somnis.ingest.rejected");
    }

    public void Dispose()
    {
        _rejectedMetric.Dispose();
        _services.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    private static ReadOnlySequence<byte> Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    private static string Vitals(string bed = "bed-01", long seq = 1, double? hr = 58) =>
        JsonSerializer.Serialize(new VitalsMessage { Bed = bed, Seq = seq, Ts = T0, IntervalSeconds = 10, HeartRate = hr, RespirationRate = 14, ActivityCount = 0, BedPresence = true, SignalQuality = 1 }, SomnisJsonContext.Default.VitalsMessage);

    [Fact]
    public void Valid_vitals_update_the_bed()
    {
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals())));
        var bed = Assert.Single(_beds.All());
        Assert.Equal(("bed-01", "nexus", 58.0, 1L, true), (bed.Id, bed.Facility, bed.HeartRate!.Value, bed.LastSequence, bed.Online));
        Assert.Equal(1, _pipeline.Accepted);
    }

    public static TheoryData<string, string, string> BadInputs() => new()
    {
        { "somnis/nexus/beds/bed-01/vitals", "{not json", "not-json" },
        { "somnis/nexus/beds/bed-01/vitals", "", "not-json" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"seq\":1", "\"seq\":\"1\"", StringComparison.Ordinal), "wrong-type" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"bedPresence\":true", "\"bedPresence\":1", StringComparison.Ordinal), "wrong-type" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"heartRate\":58", "\"heartRate\":\"NaN\"", StringComparison.Ordinal), "not-finite" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"heartRate\":58", "\"heartRate\":\"-Infinity\"", StringComparison.Ordinal), "not-finite" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"heartRate\":58", "\"heartRate\":NaN", StringComparison.Ordinal), "not-json" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals(hr: 400), "out-of-range" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"respirationRate\":14", "\"respirationRate\":-1", StringComparison.Ordinal), "out-of-range" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"signalQuality\":1", "\"signalQuality\":1.5", StringComparison.Ordinal), "out-of-range" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace("\"v\":1", "\"v\":2", StringComparison.Ordinal), "unsupported-version" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals(bed: "bed-02"), "bed-mismatch" },
        { "somnis/nexus/beds/bed-01/vitals", Vitals().Replace(",\"ts\":\"2026-03-01T23:00:00+00:00\"", "", StringComparison.Ordinal), "missing-field" },
        { "somnis/nexus/beds/bed-01/vitals", "{\"v\":1,\"pad\":\"" + new string(' ', Protocol.MaxPayloadBytes) + "\"}", "too-large" },
        { "somnis/nexus/beds/bed-01/dreams", Vitals(), "unknown-topic" },
        { "elsewhere/bed-01", Vitals(), "unknown-topic" },
        { "somnis/nexus/beds/bed+01/vitals", Vitals(), "unknown-topic" },
        { "somnis/nexus/beds/bed-01/status", "{\"v\":1,\"bed\":\"bed-01\",\"ts\":\"2026-03-01T23:00:00Z\",\"state\":\"dreaming\"}", "out-of-range" },
        { "somnis/nexus/beds/bed-01/architect", "{\"v\":1,\"bed\":\"bed-01\",\"seq\":2,\"ts\":\"2026-03-01T23:00:00Z\",\"stimulating\":\"yes\"}", "wrong-type" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_rejected_counted_and_logged_without_the_payload(string topic, string payload, string reason)
    {
        var result = _pipeline.Process(topic, Bytes(payload));

        Assert.Equal(reason, result?.Label());
        Assert.Equal(1, _pipeline.Rejected[reason]);
        Assert.Empty(_beds.All());
        var measurement = Assert.Single(_rejectedMetric.GetMeasurementSnapshot());
        Assert.Equal(reason, measurement.Tags["reason"]);
        var line = Assert.Single(_log.Lines);
        Assert.Contains($"({reason})", line, StringComparison.Ordinal);
        Assert.Contains(topic, line, StringComparison.Ordinal);
        if (payload.Length > 20)
        {
            Assert.DoesNotContain(payload, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_reason_is_logged_once_per_topic_but_counted_every_time_and_other_beds_keep_updating()
    {
        for (var i = 0; i < 50; i++)
        {
            _pipeline.Process("somnis/nexus/beds/bed-09/vitals", Bytes("garbage"));
            Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals(seq: i + 1))));
        }

        Assert.Equal(50, _pipeline.Rejected["not-json"]);
        Assert.Single(_log.Lines);
        Assert.Equal(50, Assert.Single(_beds.All()).LastSequence);
    }

    [Fact]
    public void Status_and_last_will_switch_a_bed_online_and_offline()
    {
        string Status(string state) => JsonSerializer.Serialize(
            new StatusMessage { Bed = "bed-03", Ts = T0, State = state, Mode = "simulated", Simulation = new SimulationInfo("healthy", 1, 60) },
            SomnisJsonContext.Default.StatusMessage);

        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-03/status", Bytes(Status("online"))));
        Assert.True(_beds.Find("bed-03")!.Online);
        Assert.Equal("healthy", _beds.Find("bed-03")!.Simulation!.Scenario);
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-03/status", Bytes(Status("offline"))));
        Assert.False(_beds.Find("bed-03")!.Online);
        Assert.Equal("unknown", _beds.Find("bed-03")!.State);

        // Clearing a retained status (empty payload) and the hub's own commands are not input errors.
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-03/status", ReadOnlySequence<byte>.Empty));
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-03/cmd", Bytes("{}")));
        Assert.Empty(_pipeline.Rejected);
    }

    [Fact]
    public void Architect_events_update_the_stimulation_state()
    {
        _pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals()));
        var evt = JsonSerializer.Serialize(new ArchitectEvent { Bed = "bed-01", Seq = 2, Ts = T0.AddSeconds(1), Stimulating = true }, SomnisJsonContext.Default.ArchitectEvent);
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-01/architect", Bytes(evt)));
        Assert.True(_beds.Find("bed-01")!.ArchitectStimulating);
        Assert.Equal(2, _beds.Find("bed-01")!.LastSequence);
    }

    [Fact]
    public void A_bed_that_goes_quiet_is_shown_stale_and_never_as_normal()
    {
        _pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals()));
        _beds.TakeChanged();
        var lastStale = new Dictionary<(string, string), bool>();
        _beds.MarkStaleTransitions(lastStale);
        _beds.TakeChanged();

        _time.Advance(TimeSpan.FromSeconds(61));
        _beds.MarkStaleTransitions(lastStale);
        var changed = Assert.Single(_beds.TakeChanged());
        Assert.True(changed.Stale);
        Assert.Equal("unknown", changed.State);
    }

    [Fact]
    public void Rough_state_follows_presence_and_movement()
    {
        for (var i = 1; i <= 30; i++)
        {
            var v = JsonSerializer.Serialize(new VitalsMessage { Bed = "bed-01", Seq = i, Ts = T0.AddSeconds(10 * i), IntervalSeconds = 10, HeartRate = 55, ActivityCount = 0, BedPresence = true, SignalQuality = 1 }, SomnisJsonContext.Default.VitalsMessage);
            _pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(v));
        }

        Assert.Equal("asleep", _beds.Find("bed-01")!.State);
        var moving = JsonSerializer.Serialize(new VitalsMessage { Bed = "bed-01", Seq = 31, Ts = T0.AddSeconds(310), IntervalSeconds = 10, HeartRate = 70, ActivityCount = 150, BedPresence = true, SignalQuality = 0.4 }, SomnisJsonContext.Default.VitalsMessage);
        _pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(moving));
        Assert.Equal("awake", _beds.Find("bed-01")!.State);
        var empty = JsonSerializer.Serialize(new VitalsMessage { Bed = "bed-01", Seq = 32, Ts = T0.AddSeconds(320), IntervalSeconds = 10, ActivityCount = 0, BedPresence = false, SignalQuality = 1 }, SomnisJsonContext.Default.VitalsMessage);
        _pipeline.Process("somnis/nexus/beds/bed-01/vitals", Bytes(empty));
        Assert.Equal("out-of-bed", _beds.Find("bed-01")!.State);
    }

    [Fact]
    public void A_resent_vitals_message_is_counted_as_a_duplicate_and_not_applied_twice_and_a_gap_report_is_accepted()
    {
        string Vitals(long seq) => $$"""{"v":1,"bed":"bed-01","seq":{{seq}},"ts":"2026-03-01T23:00:{{seq:00}}Z","intervalSeconds":10,"heartRate":60,"signalQuality":1}""";
        Assert.Equal(IngestionResult.Accepted, _pipeline.Ingest("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals(1))).Result);
        Assert.Equal(IngestionResult.Accepted, _pipeline.Ingest("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals(4))).Result);
        Assert.Equal(IngestionResult.Duplicate, _pipeline.Ingest("somnis/nexus/beds/bed-01/vitals", Bytes(Vitals(4))).Result);
        Assert.Equal(2, _beds.Find("bed-01")!.Received);

        var gap = """{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":2,"reason":"journal-full"}""";
        Assert.Null(_pipeline.Process("somnis/nexus/beds/bed-01/gap", Bytes(gap)));
        var delivery = _beds.Find("bed-01")!.Delivery!;
        Assert.Equal((4L, 2L, 0L, 1L, 2L, "incomplete"), (delivery.LastSequence, delivery.Received, delivery.Missing, delivery.Duplicates, delivery.Lost, delivery.State));

        var badGap = """{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":5,"toSeq":3,"count":2,"reason":"journal-full"}""";
        Assert.Equal(RejectReason.OutOfRange, _pipeline.Process("somnis/nexus/beds/bed-01/gap", Bytes(badGap)));
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// Turns one MQTT message into bed state: parse, validate, apply. A bad message is rejected with a reason, counted
/// per reason, and logged once per reason and topic (with bed and topic, never the payload); every other bed is
/// unaffected. Independent of MQTT so it can be tested and benchmarked directly.
/// </summary>
internal sealed class IngestionPipeline
{
    // Bounds the "already logged" set so a flood of random topics cannot grow memory without limit.
    private const int MaxLoggedKeys = 10_000;

    private readonly BedRegistry _beds;
    private readonly DetectionService _detection;
    private readonly DeliveryTracker _delivery;
    private readonly ILogger<IngestionPipeline> _logger;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly ConcurrentDictionary<RejectReason, long> _rejectCounts = new();
    private readonly ConcurrentDictionary<(RejectReason, string), byte> _logged = new();
    private readonly IVitalsRecorder[] _recorders;
    private readonly TopicCache _topics = new();
    private long _acceptedCount;

    public IngestionPipeline(BedRegistry beds, DeliveryTracker delivery, DetectionService detection, IMeterFactory meters, ILogger<IngestionPipeline> logger, IEnumerable<IVitalsRecorder>? recorders = null)
    {
        _beds = beds;
        _delivery = delivery;
        _detection = detection;
        _logger = logger;
        _recorders = [.. recorders ?? []];
        var meter = meters.Create(HubMetrics.MeterName);
        _accepted = meter.CreateCounter<long>("somnis.ingest.accepted", "{message}", "Messages accepted from edges, by kind");
        _rejected = meter.CreateCounter<long>("somnis.ingest.rejected", "{message}", "Messages rejected, by reason");
    }

    public long Accepted => Interlocked.Read(ref _acceptedCount);

    /// <summary>Rejected messages so far, by reason label.</summary>
    public IReadOnlyDictionary<string, long> Rejected => _rejectCounts.ToDictionary(kv => kv.Key.Label(), kv => kv.Value);

    /// <summary>Processes one message; returns the reason it was rejected, or null when accepted (or deliberately ignored).</summary>
    public RejectReason? Process(string topic, ReadOnlySequence<byte> payload, bool retained = false) => Ingest(topic, payload, retained).Rejected;

    /// <summary>
    /// Processes one message. Data messages (vitals, Architect events) go through the per-bed sequence accounting
    /// first: a duplicate is counted and dropped (not applied twice); a late one is applied in event time and marked
    /// <see cref="IngestionOutcome.IsLate"/> so no fresh alarm is raised from it. Gap reports declare numbers lost;
    /// statuses carry the edge's backlog and clock quality. <paramref name="retained"/>: delivered by the broker from
    /// its retained store on (re)subscribe, not live.
    /// </summary>
    public IngestionOutcome Ingest(string topic, ReadOnlySequence<byte> payload, bool retained = false)
    {
        if (!_topics.TryParse(topic, out var t))
        {
            return IngestionOutcome.Reject(Reject(RejectReason.UnknownTopic, topic, "?", "topic does not match somnis/{facility}/beds/{bed}/{kind}"));
        }

        switch (t.Kind)
        {
            case Topics.Vitals:
                var vitals = MessageValidator.ParseVitals(payload, t.Bed);
                if (!vitals.Ok)
                {
                    return IngestionOutcome.Reject(Reject(vitals.Reason!.Value, topic, t.Bed, vitals.Detail));
                }

                var vitalsOutcome = _delivery.ObserveData(t.Facility, t.Bed, vitals.Message!.Seq, vitals.Message.Ts);
                if (vitalsOutcome.Result == IngestionResult.Duplicate)
                {
                    _beds.MarkChanged(t.Facility, t.Bed);
                    return vitalsOutcome;
                }

                _beds.ApplyVitals(t.Facility, vitals.Message!);
                _detection.OnVitals(t.Facility, vitals.Message!);
                foreach (var recorder in _recorders)
                {
                    recorder.Record(t.Facility, vitals.Message!);
                }

                Accept(Topics.Vitals);
                return vitalsOutcome;

            case Topics.Status:
                if (payload.IsEmpty)
                {
                    // An empty retained message is how a retained status is cleared: nothing to apply.
                    return IngestionOutcome.Ignored;
                }

                var status = MessageValidator.ParseStatus(payload, t.Bed);
                if (!status.Ok)
                {
                    return IngestionOutcome.Reject(Reject(status.Reason!.Value, topic, t.Bed, status.Detail));
                }

                _delivery.ApplyStatus(t.Facility, status.Message!, retained);
                _beds.ApplyStatus(t.Facility, status.Message!);
                Accept(Topics.Status);
                return IngestionOutcome.Accepted;

            case Topics.Architect:
                var architect = MessageValidator.ParseArchitect(payload, t.Bed);
                if (!architect.Ok)
                {
                    return IngestionOutcome.Reject(Reject(architect.Reason!.Value, topic, t.Bed, architect.Detail));
                }

                var architectOutcome = _delivery.ObserveData(t.Facility, t.Bed, architect.Message!.Seq, architect.Message.Ts);
                if (architectOutcome.Result == IngestionResult.Duplicate)
                {
                    _beds.MarkChanged(t.Facility, t.Bed);
                    return architectOutcome;
                }

                _beds.ApplyArchitect(t.Facility, architect.Message!);
                Accept(Topics.Architect);
                return architectOutcome;

            case Topics.Gap:
                var gap = MessageValidator.ParseGap(payload, t.Bed);
                if (!gap.Ok)
                {
                    return IngestionOutcome.Reject(Reject(gap.Reason!.Value, topic, t.Bed, gap.Detail));
                }

                _delivery.DeclareLost(t.Facility, gap.Message!);
                _beds.MarkChanged(t.Facility, t.Bed);
                Accept(Topics.Gap);
                return IngestionOutcome.Accepted;

            case Topics.Command:
                // The hub's own commands to edges come back through the wildcard subscription: not input.
                return IngestionOutcome.Ignored;

            default:
                return IngestionOutcome.Reject(Reject(RejectReason.UnknownTopic, topic, t.Bed, $"unknown message kind '{t.Kind}'"));
        }
    }

    private void Accept(string kind)
    {
        Interlocked.Increment(ref _acceptedCount);
        _accepted.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    private RejectReason Reject(RejectReason reason, string topic, string bed, string? detail)
    {
        _rejectCounts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason.Label()));
        if (_logged.Count < MaxLoggedKeys && _logged.TryAdd((reason, topic), 0))
        {
            Log.MessageRejected(_logger, reason.Label(), bed, topic, detail ?? "");
        }

        return reason;
    }
}

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
    private readonly ILogger<IngestionPipeline> _logger;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly ConcurrentDictionary<RejectReason, long> _rejectCounts = new();
    private readonly ConcurrentDictionary<(RejectReason, string), byte> _logged = new();
    private readonly IVitalsRecorder[] _recorders;
    private long _acceptedCount;

    public IngestionPipeline(BedRegistry beds, DetectionService detection, IMeterFactory meters, ILogger<IngestionPipeline> logger, IEnumerable<IVitalsRecorder>? recorders = null)
    {
        _beds = beds;
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
    public RejectReason? Process(string topic, ReadOnlySequence<byte> payload)
    {
        if (!Topics.TryParse(topic, out var t))
        {
            return Reject(RejectReason.UnknownTopic, topic, "?", "topic does not match somnis/{facility}/beds/{bed}/{kind}");
        }

        switch (t.Kind)
        {
            case Topics.Vitals:
                var vitals = MessageValidator.ParseVitals(payload, t.Bed);
                if (!vitals.Ok)
                {
                    return Reject(vitals.Reason!.Value, topic, t.Bed, vitals.Detail);
                }

                _beds.ApplyVitals(t.Facility, vitals.Message!);
                _detection.OnVitals(t.Facility, vitals.Message!);
                foreach (var recorder in _recorders)
                {
                    recorder.Record(t.Facility, vitals.Message!);
                }

                return Accept(Topics.Vitals);

            case Topics.Status:
                if (payload.IsEmpty)
                {
                    // An empty retained message is how a retained status is cleared: nothing to apply.
                    return null;
                }

                var status = MessageValidator.ParseStatus(payload, t.Bed);
                if (!status.Ok)
                {
                    return Reject(status.Reason!.Value, topic, t.Bed, status.Detail);
                }

                _beds.ApplyStatus(t.Facility, status.Message!);
                return Accept(Topics.Status);

            case Topics.Architect:
                var architect = MessageValidator.ParseArchitect(payload, t.Bed);
                if (!architect.Ok)
                {
                    return Reject(architect.Reason!.Value, topic, t.Bed, architect.Detail);
                }

                _beds.ApplyArchitect(t.Facility, architect.Message!);
                return Accept(Topics.Architect);

            case Topics.Command:
                // The hub's own commands to edges come back through the wildcard subscription: not input.
                return null;

            default:
                return Reject(RejectReason.UnknownTopic, topic, t.Bed, $"unknown message kind '{t.Kind}'");
        }
    }

    private RejectReason? Accept(string kind)
    {
        Interlocked.Increment(ref _acceptedCount);
        _accepted.Add(1, new KeyValuePair<string, object?>("kind", kind));
        return null;
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

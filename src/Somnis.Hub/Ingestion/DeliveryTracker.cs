using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Somnis.Contracts;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// Per-bed delivery accounting, the heart of idempotent ingestion: every bed's <see cref="BedDelivery"/> (sequence
/// accounting and its rules, with the bed's <see cref="BedClock"/>), under the bed's lock, counted in metrics. The
/// state is saved to DATA/delivery.json (<see cref="DeliveryCheckpointFile"/>) every
/// <see cref="DeliveryOptions.CheckpointInterval"/> and loaded at start; the MQTT ingestor acknowledges messages only
/// after the save that covers them (docs/operations.md, "Delivery").
/// </summary>
internal sealed class DeliveryTracker
{
    private const string FileName = "delivery.json";
    private readonly ConcurrentDictionary<(string Facility, string Bed), BedDelivery> _beds = new();
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _o;
    private readonly ILogger<DeliveryTracker> _logger;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _late;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _checkpoints;

    // One snapshot or write at a time (the checkpoint loop; tests): both use the encoders' reused buffers.
    private readonly Lock _encoding = new();
    private readonly DeliveryCheckpointFormat _format = new();
    private readonly DeliveryCheckpointFile _file;
    private readonly int _restored;
    private long _version;
    private long _savedVersion;

    public DeliveryTracker(TimeProvider time, IOptions<DeliveryOptions> options, IOptions<HubOptions> hub, IMeterFactory meters, ILogger<DeliveryTracker> logger)
    {
        _time = time;
        _o = options.Value;
        _logger = logger;
        _file = new DeliveryCheckpointFile(Path.Combine(hub.Value.DataDirectory, FileName), logger);
        foreach (var saved in _file.Load())
        {
            var d = NewBed(saved.Bed);
            d.Restore(saved);
            _beds[(saved.Facility, saved.Bed)] = d;
        }

        _restored = _beds.Count;
        var meter = meters.Create(HubMetrics.MeterName);
        _duplicates = meter.CreateCounter<long>("somnis.delivery.duplicates", "{message}", "Data messages received twice and dropped");
        _late = meter.CreateCounter<long>("somnis.delivery.late", "{message}", "Data messages that arrived late (event time more than Delivery:LateAfter behind the bed's newest)");
        _lost = meter.CreateCounter<long>("somnis.delivery.lost", "{message}", "Sequence numbers declared lost by edges");
        _checkpoints = meter.CreateCounter<long>("somnis.delivery.checkpoints", "{checkpoint}", "Delivery checkpoints saved (each followed by the acknowledgements it covers)");
        meter.CreateObservableGauge("somnis.delivery.beds.restored", () => (long)_restored, "{bed}", "Beds whose delivery accounting was loaded from the checkpoint at start");
    }

    /// <summary>Accounts one data message (vitals or Architect event).</summary>
    public IngestionOutcome ObserveData(string facility, string bed, long seq, DateTimeOffset ts)
    {
        var d = Get(facility, bed);
        IngestionOutcome outcome;
        lock (d.Sync)
        {
            d.Dirty = true;
            outcome = d.Observe(seq, ts);
        }

        if (outcome.Result == IngestionResult.Duplicate)
        {
            _duplicates.Add(1);
        }
        else if (outcome.IsLate)
        {
            _late.Add(1);
        }

        Interlocked.Increment(ref _version);
        return outcome;
    }

    /// <summary>
    /// Whether a bed's data message counts as received in the accounting (at start-up: in the last checkpoint, so the broker
    /// was acknowledged for it and will not deliver it again). A stored message that does not is delivered again.
    /// </summary>
    public bool HasReceived(string facility, string bed, long seq)
    {
        if (!_beds.TryGetValue((facility, bed), out var d))
        {
            return false;
        }

        lock (d.Sync)
        {
            return d.HasReceived(seq);
        }
    }

    /// <summary>The edge will never send these numbers: whatever of them is still missing is lost.</summary>
    public void DeclareLost(string facility, GapMessage gap)
    {
        var d = Get(facility, gap.Bed);
        long lost;
        lock (d.Sync)
        {
            d.Dirty = true;
            lost = d.DeclareLost(gap.FromSeq, gap.ToSeq);
        }

        _lost.Add(lost);
        Log.DeliveryLost(_logger, gap.Bed, lost, gap.FromSeq, gap.ToSeq, gap.Count, gap.Reason);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Takes the backlog and clock quality from a status; a live birth whose sequence number is behind what
    /// was received means the edge restarted without its journal (counted, logged; the missing numbers are lost).</summary>
    public void ApplyStatus(string facility, StatusMessage m, bool retained)
    {
        var d = Get(facility, m.Bed);
        lock (d.Sync)
        {
            d.Dirty = true;
            d.ApplyStatus(m, retained);
        }

        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// Beds whose missing numbers have not moved for <see cref="DeliveryOptions.ResendAfter"/> (and were not asked
    /// within that time), with the ranges to ask for again (at most 20 ranges and
    /// <see cref="CommandMessage.MaxResendCount"/> numbers per request).
    /// </summary>
    public IReadOnlyList<(string Facility, string Bed, List<(long From, long To)> Ranges)> DueForResend()
    {
        var now = _time.GetUtcNow();
        var due = new List<(string, string, List<(long, long)>)>();
        foreach (var ((facility, bed), d) in _beds)
        {
            lock (d.Sync)
            {
                if (d.DueForResend(now) is { } ranges)
                {
                    due.Add((facility, bed, ranges));
                }
            }
        }

        return due;
    }

    public (DeliverySummary Delivery, ClockSummary Clock)? Summary(string facility, string bed)
    {
        if (!_beds.TryGetValue((facility, bed), out var d))
        {
            return null;
        }

        lock (d.Sync)
        {
            return (d.Summary(), d.Clock.Summary(_time.GetUtcNow()));
        }
    }

    /// <summary>The bed's lost count loaded from the checkpoint at start (0 for a bed first seen by this process): the
    /// loss a previous run already reported, which the alarm clock does not raise data-gap for again.</summary>
    public long LostAtStart(string facility, string bed)
    {
        if (!_beds.TryGetValue((facility, bed), out var d))
        {
            return 0;
        }

        lock (d.Sync)
        {
            return d.LostAtStart;
        }
    }

    /// <summary>Saves the state when it changed since the last save (write, fsync, rename). Returns false when unchanged.</summary>
    public bool Save() => Write(Snapshot());

    /// <summary>
    /// The state as of now, to be written by <see cref="Write"/> (null when unchanged since the last save). Taken
    /// apart from the write so the ingestor can take it together with the list of messages it covers, while no message
    /// is being applied: a save must cover exactly the messages it acknowledges, or a message applied between the two
    /// (say a status) would be redelivered after a crash and applied a second time over its own later effects.
    /// </summary>
    /// <remarks>
    /// Each bed keeps its entry of the file as bytes, encoded again only when the bed changed since the last snapshot:
    /// at a bed's real rate (one message per 10 s) a checkpoint encodes a handful of beds instead of all of them
    /// (<see cref="DeliveryCheckpointFormat"/>).
    /// </remarks>
    internal Checkpoint? Snapshot()
    {
        var version = Interlocked.Read(ref _version);
        if (version == _savedVersion)
        {
            return null;
        }

        lock (_encoding)
        {
            var entries = new List<byte[]>(_beds.Count);
            foreach (var ((facility, bed), d) in _beds)
            {
                lock (d.Sync)
                {
                    if (d.Dirty || d.Entry is null)
                    {
                        d.Entry = _format.Encode(facility, bed, d);
                        d.Dirty = false;
                    }

                    entries.Add(d.Entry);
                }
            }

            return new Checkpoint(version, entries);
        }
    }

    /// <summary>Writes a snapshot (write, fsync, rename); false when there was nothing to write.</summary>
    internal bool Write(Checkpoint? checkpoint)
    {
        if (checkpoint is not { } c)
        {
            return false;
        }

        lock (_encoding)
        {
            _file.Write(c.Entries);
        }

        _savedVersion = c.Version;
        _checkpoints.Add(1);
        return true;
    }

    /// <param name="Version">The change count the snapshot covers.</param>
    /// <param name="Entries">Each bed's entry of the file (<see cref="DeliveryCheckpointFormat.Encode"/>).</param>
    internal sealed record Checkpoint(long Version, List<byte[]> Entries);

    private BedDelivery Get(string facility, string bed) =>
        _beds.GetOrAdd((facility, bed), static (key, self) => self.NewBed(key.Bed), this);

    private BedDelivery NewBed(string bed) => new(bed, _o, _time, _logger);
}

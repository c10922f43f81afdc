using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Somnis.Contracts;

namespace Somnis.Hub.Ingestion;

/// <summary>What happened to one incoming message (the alarm code reads <see cref="IsLate"/>).</summary>
/// <param name="Result">Accepted in order, backfilled into a gap, dropped as a duplicate, rejected, or ignored.</param>
/// <param name="Rejected">Why it was rejected, when it was.</param>
/// <param name="IsLate">Late (backfilled) data: store and score it in event time, but never raise a fresh alarm from it
/// (docs/operations.md, "Delivery": the late-data rule).</param>
public sealed record IngestionOutcome(IngestionResult Result, RejectReason? Rejected = null, bool IsLate = false)
{
    public static readonly IngestionOutcome Ignored = new(IngestionResult.Ignored);

    // Shared instances for the outcomes of data messages (one per message: not worth an allocation each).
    internal static readonly IngestionOutcome Accepted = new(IngestionResult.Accepted);
    internal static readonly IngestionOutcome AcceptedLate = new(IngestionResult.Accepted, IsLate: true);
    internal static readonly IngestionOutcome Backfilled = new(IngestionResult.Backfilled);
    internal static readonly IngestionOutcome BackfilledLate = new(IngestionResult.Backfilled, IsLate: true);
    internal static readonly IngestionOutcome Duplicate = new(IngestionResult.Duplicate);

    public static IngestionOutcome Reject(RejectReason reason) => new(IngestionResult.Rejected, reason);
}

public enum IngestionResult
{
    Accepted,
    Backfilled,
    Duplicate,
    Rejected,
    Ignored,
}

/// <summary>A bed's delivery accounting as the API shows it (docs/protocol-delivery.md, "Hub API").</summary>
/// <param name="LastSequence">Highest sequence number received.</param>
/// <param name="Received">Distinct data messages received.</param>
/// <param name="Missing">Sequence numbers below <paramref name="LastSequence"/> not received yet and not declared lost (expected from a replay).</param>
/// <param name="Duplicates">Data messages received again (a resend after a lost acknowledgement) and dropped.</param>
/// <param name="Backlog">What the edge reports it still holds, undelivered (its latest status).</param>
/// <param name="Lost">Sequence numbers the edge declared lost (gap reports) and never delivered.</param>
/// <param name="Late">Data messages that arrived late (backfilled).</param>
/// <param name="OldestBacklogTs">Event time of the oldest message the edge still holds.</param>
/// <param name="Journal"><c>disk</c> or <c>memory</c>, as the edge reports it.</param>
/// <param name="State"><c>complete</c>, <c>delayed</c> (missing or backlog), or <c>incomplete</c> (data lost).</param>
/// <param name="LostRanges">The lost ranges (at most 20, oldest first).</param>
/// <param name="EdgeSequence">The last sequence number the edge reported assigning (its latest live status).</param>
public sealed record DeliverySummary(
    long LastSequence,
    long Received,
    long Missing,
    long Duplicates,
    long Backlog,
    long Lost,
    long Late,
    DateTimeOffset? OldestBacklogTs,
    string? Journal,
    string State,
    IReadOnlyList<SequenceRange> LostRanges,
    long EdgeSequence);

public sealed record SequenceRange(long From, long To);

/// <summary>A bed's clock as the hub judges it.</summary>
/// <param name="Synchronised">What the edge reports (null: not reported).</param>
/// <param name="SkewSeconds">Edge clock minus hub clock at the last live status (null for accelerated simulations).</param>
/// <param name="Problem">null, <c>unsynchronised</c>, <c>skew</c> or <c>jump</c>: a technical problem on the bed.</param>
/// <param name="JumpAt">Hub time the last clock jump was detected.</param>
public sealed record ClockSummary(bool? Synchronised, double? SkewSeconds, string? Problem, DateTimeOffset? JumpAt);

/// <summary>Persisted form of one bed's accounting (DATA/delivery.json).</summary>
public sealed record BedDeliveryState(
    string Facility,
    string Bed,
    long LastSequence,
    long Received,
    long Duplicates,
    long Late,
    long Resets,
    List<SequenceRange> Missing,
    List<SequenceRange> Lost,
    DateTimeOffset? NewestEventTs,
    DateTimeOffset? DeviceFrontier,
    List<string>? Boots = null);

/// <summary>
/// Per-bed sequence accounting, the heart of idempotent ingestion. Every bed numbers its data messages 1, 2, 3…
/// without holes; the hub keeps the highest number received, the holes below it (missing, until a replay fills them
/// or the edge declares them lost with a gap report), duplicates, late arrivals, and the edge's reported backlog.
/// Ordering is by sequence number, never by timestamp, so a wrong device clock cannot reorder or hide data; the clock
/// is judged separately (skew against the hub, jumps between consecutive messages) and flagged on the bed.
/// The state is saved to DATA/delivery.json every <see cref="DeliveryOptions.CheckpointInterval"/>; the MQTT ingestor
/// acknowledges messages only after the save that covers them.
/// </summary>
internal sealed class DeliveryTracker
{
    private const string FileName = "delivery.json";
    private const int MaxBoots = 8;
    private readonly ConcurrentDictionary<(string Facility, string Bed), BedDelivery> _beds = new();
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _o;
    private readonly ILogger<DeliveryTracker> _logger;
    private readonly string _path;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _late;
    private readonly Counter<long> _lost;
    // The checkpoint's encoding buffers, used by one snapshot or write at a time (the checkpoint loop; tests).
    private const int InitialBufferBytes = 64 * 1024;
    private const int MaxKeptBufferBytes = 16 * 1024 * 1024;
    private readonly Lock _encoding = new();
    private readonly ArrayBufferWriter<byte> _entry = new(1024);
    private readonly Utf8JsonWriter _entryWriter = new(Stream.Null);
    private ArrayBufferWriter<byte> _file = new(InitialBufferBytes);
    private long _version;
    private long _savedVersion;

    public DeliveryTracker(TimeProvider time, IOptions<DeliveryOptions> options, IOptions<HubOptions> hub, IMeterFactory meters, ILogger<DeliveryTracker> logger)
    {
        _time = time;
        _o = options.Value;
        _logger = logger;
        _path = Path.Combine(hub.Value.DataDirectory, FileName);
        var meter = meters.Create(HubMetrics.MeterName);
        _duplicates = meter.CreateCounter<long>("somnis.delivery.duplicates", "{message}", "Data messages received twice and dropped");
        _late = meter.CreateCounter<long>("somnis.delivery.late", "{message}", "Data messages that arrived late (backfilled)");
        _lost = meter.CreateCounter<long>("somnis.delivery.lost", "{message}", "Sequence numbers declared lost by edges");
        Load();
    }

    /// <summary>Accounts one data message (vitals or Architect event).</summary>
    public IngestionOutcome ObserveData(string facility, string bed, long seq, DateTimeOffset ts)
    {
        var d = Get(facility, bed);
        IngestionOutcome outcome;
        lock (d.Sync)
        {
            d.Dirty = true;
            var missingBefore = d.Missing.Count;
            var frontier = d.Frontier;
            var late = frontier is { } f && ts < f - _o.LateAfter;
            if (seq > d.LastSequence)
            {
                if (seq > d.LastSequence + 1)
                {
                    if (d.Missing.Count == 0)
                    {
                        Log.DeliveryGapOpened(_logger, bed, d.LastSequence + 1, seq - 1);
                    }

                    d.Missing.Add(d.LastSequence + 1, seq - 1);
                    BoundMissing(d);
                }
                else
                {
                    CheckClockStep(d, bed, ts);
                }

                d.LastSequence = seq;
                d.NewestEventTs = ts;
                d.Received++;
                if (d.ClockJumpAt is not null && ts < (frontier ?? ts))
                {
                    // After a backwards jump the device time restarts from here; older frontiers would make all new data "late".
                    d.DeviceFrontier = ts;
                    late = false;
                }

                outcome = late ? IngestionOutcome.AcceptedLate : IngestionOutcome.Accepted;
            }
            else if (d.Missing.Remove(seq) || d.Lost.Remove(seq))
            {
                d.Received++;
                d.Late += late ? 1 : 0;
                outcome = late ? IngestionOutcome.BackfilledLate : IngestionOutcome.Backfilled;
                if (d.Missing.Count == 0)
                {
                    Log.DeliveryGapClosed(_logger, bed, d.LastSequence, d.Received);
                }
            }
            else
            {
                d.Duplicates++;
                _duplicates.Add(1);
                outcome = IngestionOutcome.Duplicate;
            }

            if (outcome.Result == IngestionResult.Accepted && late)
            {
                d.Late++;
            }

            if (d.Missing.Count != missingBefore)
            {
                d.MissingChangedAt = _time.GetUtcNow();
            }
        }

        if (outcome.IsLate)
        {
            _late.Add(1);
        }

        Interlocked.Increment(ref _version);
        return outcome;
    }

    /// <summary>The edge will never send these numbers: whatever of them is still missing is lost.</summary>
    public void DeclareLost(string facility, GapMessage gap)
    {
        var d = Get(facility, gap.Bed);
        long lost = 0;
        lock (d.Sync)
        {
            d.Dirty = true;
            // Numbers above the highest received are not missing yet: record them lost too, so they never become missing.
            if (gap.ToSeq > d.LastSequence)
            {
                var from = Math.Max(gap.FromSeq, d.LastSequence + 1);
                d.Missing.Add(from, gap.ToSeq);
                d.LastSequence = gap.ToSeq;
            }

            foreach (var (from, to) in d.Missing.Extract(gap.FromSeq, gap.ToSeq))
            {
                d.Lost.Add(from, to);
                lost += to - from + 1;
            }

            d.MissingChangedAt = _time.GetUtcNow();
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
            d.Backlog = m.Delivery?.Backlog ?? 0;
            d.OldestBacklogTs = m.Delivery?.OldestBacklogTs;
            d.Journal = m.Delivery?.Journal;
            d.ClockSynchronised = m.Clock?.Synchronised;
            d.Accelerated = m.Simulation is { } sim && Math.Abs(sim.Speed - 1) > 1e-9;
            // The edge's numbering only moves forward; a status delivered with the retain flag (replayed by the broker,
            // or queued while the hub was away) still tells how far it got.
            d.EdgeSequence = Math.Max(d.EdgeSequence, m.Seq);
            if (retained)
            {
                // A retained status is replayed by the broker on (re)subscribe: old news, not a birth.
                return;
            }

            if (d.DeviceFrontier is not { } f || m.Ts > f)
            {
                d.DeviceFrontier = m.Ts;
            }

            d.EdgeSequence = m.Seq;
            d.SkewSeconds = d.Accelerated ? null : (m.Ts - _time.GetUtcNow()).TotalSeconds;
            if (m.State == DeviceStates.Online)
            {
                d.LastBirthSeq = m.Seq;
                // Only a run the hub has not seen can have gone back in its numbering: a status of a known run that the
                // broker delivered again (a hub crash between its save and its acknowledgements) is old news, however
                // far behind its number is. Edges that send no boot id get the old rule.
                var newRun = m.Boot is not { } boot || RememberBoot(d, boot);
                if (m.Seq < d.LastSequence && newRun)
                {
                    d.Resets++;
                    var lost = d.Missing.Count;
                    foreach (var (from, to) in d.Missing.Ranges)
                    {
                        d.Lost.Add(from, to);
                    }

                    d.Missing.Clear();
                    Log.DeliverySequenceReset(_logger, m.Bed, d.LastSequence, m.Seq, lost);
                    d.LastSequence = m.Seq;
                    d.NewestEventTs = null;
                    d.DeviceFrontier = m.Ts;
                }
            }
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
                if (d.Missing.Count == 0 || now - d.MissingChangedAt < _o.ResendAfter || now - d.LastResendAt < _o.ResendAfter)
                {
                    continue;
                }

                d.LastResendAt = now;
                var ranges = new List<(long, long)>();
                foreach (var (from, to) in d.Missing.Ranges.Take(20))
                {
                    ranges.Add((from, Math.Min(to, from + CommandMessage.MaxResendCount - 1)));
                }

                due.Add((facility, bed, ranges));
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
            var state = d.Missing.Count > 0 || d.Backlog > 0 ? "delayed" : d.Lost.Count > 0 ? "incomplete" : "complete";
            var delivery = new DeliverySummary(
                d.LastSequence, d.Received, d.Missing.Count, d.Duplicates, d.Backlog, d.Lost.Count, d.Late, d.OldestBacklogTs, d.Journal, state,
                [.. d.Lost.Ranges.Take(20).Select(r => new SequenceRange(r.From, r.To))],
                d.EdgeSequence);
            var now = _time.GetUtcNow();
            var jump = d.ClockJumpAt is { } at && now - at < _o.ClockJumpHold;
            var skewed = d.SkewSeconds is { } s && Math.Abs(s) > _o.MaxClockSkew.TotalSeconds;
            var problem = jump ? "jump" : d.ClockSynchronised == false ? "unsynchronised" : skewed ? "skew" : null;
            return (delivery, new ClockSummary(d.ClockSynchronised, d.SkewSeconds, problem, d.ClockJumpAt));
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
    /// Each bed keeps its own entry of the file as JSON bytes, rewritten only when the bed changed since the last
    /// snapshot: at a bed's real rate (one message per 10 s) a checkpoint re-encodes a handful of beds instead of all
    /// of them, and the file is put together from the kept bytes. Every bed went through the serializer 20 times a
    /// second before, changed or not (docs/performance.md, row 29).
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
                        d.Entry = Encode(facility, bed, d);
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
            // The file is the JSON array of the beds' entries (the shape Load reads back with the serializer).
            _file.ResetWrittenCount();
            _file.Write("["u8);
            for (var i = 0; i < c.Entries.Count; i++)
            {
                if (i > 0)
                {
                    _file.Write(","u8);
                }

                _file.Write(c.Entries[i]);
            }

            _file.Write("]"u8);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
            var tmp = _path + ".tmp";
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                f.Write(_file.WrittenSpan);
                f.Flush(flushToDisk: true);
            }

            File.Move(tmp, _path, overwrite: true);
            if (_file.Capacity > MaxKeptBufferBytes)
            {
                _file = new ArrayBufferWriter<byte>(InitialBufferBytes);
            }
        }

        _savedVersion = c.Version;
        return true;
    }

    /// <param name="Version">The change count the snapshot covers.</param>
    /// <param name="Entries">Each bed's entry of the file: a <see cref="BedDeliveryState"/> as JSON.</param>
    internal sealed record Checkpoint(long Version, List<byte[]> Entries);

    /// <summary>One bed's entry: the <see cref="BedDeliveryState"/> the serializer reads back (camelCase, nulls written).</summary>
    private byte[] Encode(string facility, string bed, BedDelivery d)
    {
        _entry.ResetWrittenCount();
        _entryWriter.Reset(_entry);
        var w = _entryWriter;
        w.WriteStartObject();
        w.WriteString("facility"u8, facility);
        w.WriteString("bed"u8, bed);
        w.WriteNumber("lastSequence"u8, d.LastSequence);
        w.WriteNumber("received"u8, d.Received);
        w.WriteNumber("duplicates"u8, d.Duplicates);
        w.WriteNumber("late"u8, d.Late);
        w.WriteNumber("resets"u8, d.Resets);
        WriteRanges(w, "missing"u8, d.Missing);
        WriteRanges(w, "lost"u8, d.Lost);
        WriteTime(w, "newestEventTs"u8, d.NewestEventTs);
        WriteTime(w, "deviceFrontier"u8, d.DeviceFrontier);
        w.WriteStartArray("boots"u8);
        foreach (var boot in d.Boots)
        {
            w.WriteStringValue(boot);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return _entry.WrittenSpan.ToArray();

        static void WriteRanges(Utf8JsonWriter w, ReadOnlySpan<byte> name, SequenceRanges ranges)
        {
            w.WriteStartArray(name);
            var list = ranges.Ranges;
            for (var i = 0; i < list.Count; i++)
            {
                var (from, to) = list[i];
                w.WriteStartObject();
                w.WriteNumber("from"u8, from);
                w.WriteNumber("to"u8, to);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        static void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset? value)
        {
            if (value is { } v)
            {
                w.WriteString(name, v);
            }
            else
            {
                w.WriteNull(name);
            }
        }
    }

    private void Load()
    {
        if (!File.Exists(_path))
        {
            return;
        }

        try
        {
            using var f = File.OpenRead(_path);
            var states = JsonSerializer.Deserialize(f, HubJsonContext.Default.ListBedDeliveryState) ?? [];
            foreach (var s in states)
            {
                var d = Get(s.Facility, s.Bed);
                d.LastSequence = s.LastSequence;
                d.Received = s.Received;
                d.Duplicates = s.Duplicates;
                d.Late = s.Late;
                d.Resets = s.Resets;
                d.NewestEventTs = s.NewestEventTs;
                d.DeviceFrontier = s.DeviceFrontier;
                d.Boots.AddRange(s.Boots ?? []);
                foreach (var r in s.Missing)
                {
                    d.Missing.Add(r.From, r.To);
                }

                foreach (var r in s.Lost)
                {
                    d.Lost.Add(r.From, r.To);
                }
            }

            Log.DeliveryStateLoaded(_logger, states.Count, _path);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // By design: the hub must start; a broken file is kept aside for inspection and the accounting restarts.
            var aside = _path + ".corrupt";
            File.Move(_path, aside, overwrite: true);
            Log.DeliveryStateCorrupt(_logger, _path, aside, ex.Message);
            _beds.Clear();
        }
    }

    private void CheckClockStep(BedDelivery d, string bed, DateTimeOffset ts)
    {
        if (d.NewestEventTs is not { } prev)
        {
            return;
        }

        var step = ts - prev;
        var straddlesBirth = d.LastBirthSeq == d.LastSequence;
        if (step < -_o.BackwardJumpTolerance || (step > _o.MaxForwardStep && !straddlesBirth))
        {
            d.ClockJumpAt = _time.GetUtcNow();
            Log.ClockJump(_logger, bed, d.LastSequence, d.LastSequence + 1, step.TotalSeconds);
        }
    }

    private void BoundMissing(BedDelivery d)
    {
        while (d.Missing.RangeCount > _o.MaxMissingRanges)
        {
            var (from, to) = d.Missing.TakeFirst();
            d.Lost.Add(from, to);
            Log.DeliveryMissingBound(_logger, from, to, _o.MaxMissingRanges);
        }
    }

    /// <summary>Records a run's boot id; true when it was not known (the last <see cref="MaxBoots"/> runs are kept).</summary>
    private static bool RememberBoot(BedDelivery d, string boot)
    {
        if (d.Boots.Contains(boot))
        {
            return false;
        }

        d.Boots.Add(boot);
        if (d.Boots.Count > MaxBoots)
        {
            d.Boots.RemoveAt(0);
        }

        return true;
    }

    private BedDelivery Get(string facility, string bed) => _beds.GetOrAdd((facility, bed), _ => new BedDelivery());

    private sealed class BedDelivery
    {
        // A Lock, not a monitor on the object: the hub sets it not to spin (Somnis.Hub.csproj), and a monitor would spin
        // whenever a reader (alarm clock, live feed, checkpoint) meets the ingestion thread here.
        public Lock Sync { get; } = new();

        /// <summary>Changed since <see cref="Entry"/> was encoded.</summary>
        public bool Dirty { get; set; }

        /// <summary>The bed's entry of the last checkpoint file, as JSON (null until the first snapshot).</summary>
        public byte[]? Entry { get; set; }

        public long LastSequence { get; set; }

        public long Received { get; set; }

        public long Duplicates { get; set; }

        public long Late { get; set; }

        public long Resets { get; set; }

        public SequenceRanges Missing { get; } = new();

        public SequenceRanges Lost { get; } = new();

        public long Backlog { get; set; }

        public DateTimeOffset? OldestBacklogTs { get; set; }

        public string? Journal { get; set; }

        public bool? ClockSynchronised { get; set; }

        public bool Accelerated { get; set; }

        public double? SkewSeconds { get; set; }

        public DateTimeOffset? ClockJumpAt { get; set; }

        /// <summary>Event time of the highest sequence number.</summary>
        public DateTimeOffset? NewestEventTs { get; set; }

        /// <summary>Newest device time seen in a live status.</summary>
        public DateTimeOffset? DeviceFrontier { get; set; }

        public long LastBirthSeq { get; set; } = -1;

        public long EdgeSequence { get; set; }

        /// <summary>Boot ids of the bed's recent runs seen in live statuses, oldest first.</summary>
        public List<string> Boots { get; } = [];

        /// <summary>Hub time the missing set last changed; a set that stops changing triggers a resend request.</summary>
        public DateTimeOffset MissingChangedAt { get; set; }

        public DateTimeOffset LastResendAt { get; set; }

        /// <summary>The newest device time known: the later of the newest data's event time and the last live status.</summary>
        public DateTimeOffset? Frontier => NewestEventTs is { } a && DeviceFrontier is { } b ? (a > b ? a : b) : NewestEventTs ?? DeviceFrontier;
    }
}

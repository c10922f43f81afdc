using Somnis.Contracts;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// One bed's delivery accounting and its rules. The bed numbers its data messages 1, 2, 3… without holes; this keeps
/// the highest number received, the holes below it (<em>missing</em>, until a replay fills them or the edge declares
/// them <em>lost</em> with a gap report), duplicates, late arrivals, the edge's runs (boot ids) and restarts, and what
/// the edge last reported holding. Ordering is by sequence number, never by timestamp: the clock is judged apart
/// (<see cref="Clock"/>). Not thread-safe: the <see cref="DeliveryTracker"/> holds <see cref="Sync"/> around every call.
/// </summary>
/// <param name="bed">The bed's id, for the log.</param>
internal sealed class BedDelivery(string bed, DeliveryOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>Boot ids kept per bed: enough to recognise a status of a recent run delivered again.</summary>
    private const int MaxBoots = 8;

    /// <summary>Most ranges shown (lost) or asked for again in one resend round (missing).</summary>
    private const int MaxRangesListed = 20;

    private readonly SequenceRanges _missing = new();
    private readonly SequenceRanges _lost = new();
    private readonly List<string> _boots = [];
    private long _lastBirthSeq = -1;

    /// <summary>Hub time the missing set last changed; a set that stops changing triggers a resend request.</summary>
    private DateTimeOffset _missingChangedAt;
    private DateTimeOffset _lastResendAt;

    // What the edge reported in its latest status (state, not history: not saved).
    private long _backlog;
    private DateTimeOffset? _oldestBacklogTs;
    private string? _journal;
    private long _edgeSequence;

    // A Lock, not a monitor on the object: the hub sets it not to spin (Somnis.Hub.csproj), and a monitor would spin
    // whenever a reader (alarm clock, live feed, checkpoint) meets the ingestion thread here.
    public Lock Sync { get; } = new();

    /// <summary>Changed since <see cref="Entry"/> was encoded (set by the tracker, for the checkpoint).</summary>
    public bool Dirty { get; set; }

    /// <summary>The bed's entry of the last checkpoint, encoded (null until the first snapshot).</summary>
    public byte[]? Entry { get; set; }

    public BedClock Clock { get; } = new(options);

    public long LastSequence { get; private set; }

    public long Received { get; private set; }

    public long Duplicates { get; private set; }

    public long Late { get; private set; }

    /// <summary>Times the edge restarted its numbering (a run without a journal).</summary>
    public long Resets { get; private set; }

    public IReadOnlyList<(long From, long To)> MissingRanges => _missing.Ranges;

    public IReadOnlyList<(long From, long To)> LostRanges => _lost.Ranges;

    /// <summary>Sequence numbers declared lost before this process started (from the checkpoint): already reported.</summary>
    public long LostAtStart { get; private set; }

    /// <summary>Event time of the highest sequence number.</summary>
    public DateTimeOffset? NewestEventTs { get; private set; }

    /// <summary>Newest device time seen in a live status.</summary>
    public DateTimeOffset? DeviceFrontier { get; private set; }

    /// <summary>Boot ids of the bed's recent runs seen in live statuses, oldest first.</summary>
    public IReadOnlyList<string> Boots => _boots;

    /// <summary>The newest device time known: the later of the newest data's event time and the last live status.</summary>
    private DateTimeOffset? Frontier => NewestEventTs is { } a && DeviceFrontier is { } b ? (a > b ? a : b) : NewestEventTs ?? DeviceFrontier;

    /// <summary>Accounts one data message (vitals or Architect event): in order, a backfill into a gap, or a duplicate;
    /// late when its event time is more than <see cref="DeliveryOptions.LateAfter"/> behind the newest device time.</summary>
    public IngestionOutcome Observe(long seq, DateTimeOffset ts)
    {
        var missingBefore = _missing.Count;
        var frontier = Frontier;
        var late = frontier is { } f && ts < f - options.LateAfter;
        IngestionOutcome outcome;
        if (seq > LastSequence)
        {
            if (seq > LastSequence + 1)
            {
                OpenGap(LastSequence + 1, seq - 1);
            }
            else
            {
                CheckClockStep(ts);
            }

            LastSequence = seq;
            NewestEventTs = ts;
            Received++;
            if (Clock.JumpAt is not null && ts < (frontier ?? ts))
            {
                // After a backwards jump the device time restarts from here; older frontiers would make all new data "late".
                DeviceFrontier = ts;
                late = false;
            }

            Late += late ? 1 : 0;
            outcome = late ? IngestionOutcome.AcceptedLate : IngestionOutcome.Accepted;
        }
        else if (_missing.Remove(seq) || _lost.Remove(seq))
        {
            // A number declared lost that turns up after all is received, not lost.
            Received++;
            Late += late ? 1 : 0;
            outcome = late ? IngestionOutcome.BackfilledLate : IngestionOutcome.Backfilled;
            if (_missing.Count == 0)
            {
                Log.DeliveryGapClosed(logger, bed, LastSequence, Received);
            }
        }
        else
        {
            Duplicates++;
            outcome = IngestionOutcome.Duplicate;
        }

        if (_missing.Count != missingBefore)
        {
            _missingChangedAt = time.GetUtcNow();
        }

        return outcome;
    }

    /// <summary>The number was received (and so is covered by the accounting the broker was acknowledged with).</summary>
    public bool HasReceived(long seq) => seq >= 1 && seq <= LastSequence && !_missing.Contains(seq) && !_lost.Contains(seq);

    /// <summary>The edge will never send <paramref name="fromSeq"/>..<paramref name="toSeq"/>: whatever of it is still
    /// missing is lost. Returns how many numbers that made lost.</summary>
    public long DeclareLost(long fromSeq, long toSeq)
    {
        // Numbers above the highest received are not missing yet: record them lost too, so they never become missing.
        if (toSeq > LastSequence)
        {
            _missing.Add(Math.Max(fromSeq, LastSequence + 1), toSeq);
            LastSequence = toSeq;
        }

        long lost = 0;
        foreach (var (from, to) in _missing.Extract(fromSeq, toSeq))
        {
            _lost.Add(from, to);
            lost += to - from + 1;
        }

        _missingChangedAt = time.GetUtcNow();
        return lost;
    }

    /// <summary>Takes the backlog and clock quality from a status; a live birth whose sequence number is behind what
    /// was received, from a run not seen before, means the edge restarted without its journal (<see cref="Restart"/>).</summary>
    public void ApplyStatus(StatusMessage m, bool retained)
    {
        _backlog = m.Delivery?.Backlog ?? 0;
        _oldestBacklogTs = m.Delivery?.OldestBacklogTs;
        _journal = m.Delivery?.Journal;
        Clock.Report(m.Clock?.Synchronised, accelerated: m.Simulation is { } sim && Math.Abs(sim.Speed - 1) > 1e-9);
        // The edge's numbering only moves forward; a status delivered with the retain flag (replayed by the broker,
        // or queued while the hub was away) still tells how far it got.
        _edgeSequence = Math.Max(_edgeSequence, m.Seq);
        if (retained)
        {
            // A retained status is replayed by the broker on (re)subscribe: old news, not a birth.
            return;
        }

        if (DeviceFrontier is not { } f || m.Ts > f)
        {
            DeviceFrontier = m.Ts;
        }

        _edgeSequence = m.Seq;
        Clock.MeasureSkew(m.Ts, time);
        if (m.State == DeviceStates.Online)
        {
            _lastBirthSeq = m.Seq;
            // Only a run the hub has not seen can have gone back in its numbering: a status of a known run that the
            // broker delivered again (a hub crash between its save and its acknowledgements) is old news, however
            // far behind its number is. Edges that send no boot id get the old rule.
            var newRun = m.Boot is not { } boot || RememberBoot(boot);
            if (m.Seq < LastSequence && newRun)
            {
                Restart(m);
            }
        }
    }

    /// <summary>
    /// The ranges to ask the edge for again when the missing numbers have not moved for
    /// <see cref="DeliveryOptions.ResendAfter"/> and were not asked for within that time (at most 20 ranges and
    /// <see cref="CommandMessage.MaxResendCount"/> numbers per range); null when there is nothing to ask for.
    /// </summary>
    public List<(long From, long To)>? DueForResend(DateTimeOffset now)
    {
        if (_missing.Count == 0 || now - _missingChangedAt < options.ResendAfter || now - _lastResendAt < options.ResendAfter)
        {
            return null;
        }

        _lastResendAt = now;
        var ranges = new List<(long, long)>();
        foreach (var (from, to) in _missing.Ranges.Take(MaxRangesListed))
        {
            ranges.Add((from, Math.Min(to, from + CommandMessage.MaxResendCount - 1)));
        }

        return ranges;
    }

    public DeliverySummary Summary()
    {
        var state = _missing.Count > 0 || _backlog > 0 ? "delayed" : _lost.Count > 0 ? "incomplete" : "complete";
        return new DeliverySummary(
            LastSequence, Received, _missing.Count, Duplicates, _backlog, _lost.Count, Late, _oldestBacklogTs, _journal, state,
            [.. _lost.Ranges.Take(MaxRangesListed).Select(r => new SequenceRange(r.From, r.To))],
            _edgeSequence);
    }

    /// <summary>Takes the accounting saved by the last checkpoint (on a fresh bed, at start).</summary>
    public void Restore(BedDeliveryState s)
    {
        LastSequence = s.LastSequence;
        Received = s.Received;
        Duplicates = s.Duplicates;
        Late = s.Late;
        Resets = s.Resets;
        NewestEventTs = s.NewestEventTs;
        DeviceFrontier = s.DeviceFrontier;
        _boots.AddRange(s.Boots);
        foreach (var r in s.Missing)
        {
            _missing.Add(r.From, r.To);
        }

        foreach (var r in s.Lost)
        {
            _lost.Add(r.From, r.To);
        }

        LostAtStart = _lost.Count;
    }

    private void OpenGap(long from, long to)
    {
        if (_missing.Count == 0)
        {
            Log.DeliveryGapOpened(logger, bed, from, to);
        }

        _missing.Add(from, to);
        // Bounds memory: beyond MaxMissingRanges the oldest ranges are declared lost.
        while (_missing.RangeCount > options.MaxMissingRanges)
        {
            var (first, last) = _missing.TakeFirst();
            _lost.Add(first, last);
            Log.DeliveryMissingBound(logger, first, last, options.MaxMissingRanges);
        }
    }

    private void CheckClockStep(DateTimeOffset ts)
    {
        if (NewestEventTs is not { } previous)
        {
            return;
        }

        var step = ts - previous;
        if (Clock.CheckStep(step, straddlesBirth: _lastBirthSeq == LastSequence, time))
        {
            Log.ClockJump(logger, bed, LastSequence, LastSequence + 1, step.TotalSeconds);
        }
    }

    /// <summary>The edge lost its numbering: what was missing can never come and is lost; numbering starts again at the birth.</summary>
    private void Restart(StatusMessage birth)
    {
        Resets++;
        var lost = _missing.Count;
        foreach (var (from, to) in _missing.Ranges)
        {
            _lost.Add(from, to);
        }

        _missing.Clear();
        Log.DeliverySequenceReset(logger, bed, LastSequence, birth.Seq, lost);
        LastSequence = birth.Seq;
        NewestEventTs = null;
        DeviceFrontier = birth.Ts;
    }

    /// <summary>Records a run's boot id; true when it was not known (the last <see cref="MaxBoots"/> runs are kept).</summary>
    private bool RememberBoot(string boot)
    {
        if (_boots.Contains(boot))
        {
            return false;
        }

        _boots.Add(boot);
        if (_boots.Count > MaxBoots)
        {
            _boots.RemoveAt(0);
        }

        return true;
    }
}

namespace Somnis.Hub.Ingestion;

/// <summary>
/// A bed's clock as the hub judges it: the quality the edge reports, the skew of a real-time edge's clock against the
/// hub's at each live status, and jumps of event time between consecutive sequence numbers (docs/operations.md,
/// "Clocks"). Kept apart from the sequence accounting on purpose: ordering and de-duplication never depend on the
/// device clock; a bad clock is only flagged as a technical problem on the bed. Not thread-safe: used under its bed's lock.
/// </summary>
internal sealed class BedClock(DeliveryOptions options)
{
    private bool _accelerated;

    /// <summary>What the edge reports (null: not reported).</summary>
    public bool? Synchronised { get; private set; }

    /// <summary>Edge clock minus hub clock at the last live status; null for accelerated simulations, whose clock runs
    /// ahead by design.</summary>
    public double? SkewSeconds { get; private set; }

    /// <summary>Hub time the last clock jump was detected (null: never).</summary>
    public DateTimeOffset? JumpAt { get; private set; }

    /// <summary>Takes what a status (live or retained) says about the clock.</summary>
    public void Report(bool? synchronised, bool accelerated)
    {
        Synchronised = synchronised;
        _accelerated = accelerated;
    }

    /// <summary>Judges the skew from a live status: its device time against the hub's time now.</summary>
    public void MeasureSkew(DateTimeOffset deviceTime, TimeProvider time) =>
        SkewSeconds = _accelerated ? null : (deviceTime - time.GetUtcNow()).TotalSeconds;

    /// <summary>
    /// Judges the step of event time from one sequence number to the next: back more than
    /// <see cref="DeliveryOptions.BackwardJumpTolerance"/>, or forward more than <see cref="DeliveryOptions.MaxForwardStep"/>
    /// while the edge stayed up (a birth in between explains any forward step), is a jump; it is recorded and true is returned.
    /// </summary>
    public bool CheckStep(TimeSpan step, bool straddlesBirth, TimeProvider time)
    {
        if (step >= -options.BackwardJumpTolerance && (step <= options.MaxForwardStep || straddlesBirth))
        {
            return false;
        }

        JumpAt = time.GetUtcNow();
        return true;
    }

    /// <summary>The clock's problem, if any: a jump within <see cref="DeliveryOptions.ClockJumpHold"/>, else an
    /// unsynchronised clock, else a skew beyond <see cref="DeliveryOptions.MaxClockSkew"/>.</summary>
    public ClockSummary Summary(DateTimeOffset now)
    {
        var jump = JumpAt is { } at && now - at < options.ClockJumpHold;
        var skewed = SkewSeconds is { } s && Math.Abs(s) > options.MaxClockSkew.TotalSeconds;
        var problem = jump ? "jump" : Synchronised == false ? "unsynchronised" : skewed ? "skew" : null;
        return new ClockSummary(Synchronised, SkewSeconds, problem, JumpAt);
    }
}

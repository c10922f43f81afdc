namespace Somnis.Hub.Ingestion;

/// <summary>A bed's delivery accounting as the API shows it (docs/protocol.md, "Hub API: `delivery` and `clock`").</summary>
/// <param name="LastSequence">Highest sequence number received.</param>
/// <param name="Received">Distinct data messages received.</param>
/// <param name="Missing">Sequence numbers below <paramref name="LastSequence"/> not received yet and not declared lost (expected from a replay).</param>
/// <param name="Duplicates">Data messages received again (a resend after a lost acknowledgement) and dropped.</param>
/// <param name="Backlog">What the edge reports it still holds, undelivered (its latest status).</param>
/// <param name="Lost">Sequence numbers the edge declared lost (gap reports) and never delivered.</param>
/// <param name="Late">Data messages that arrived late: event time more than <see cref="DeliveryOptions.LateAfter"/> behind the newest device time known.</param>
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

/// <summary>An inclusive range of sequence numbers.</summary>
public sealed record SequenceRange(long From, long To);

/// <summary>A bed's clock as the hub judges it (<see cref="BedClock"/>).</summary>
/// <param name="Synchronised">What the edge reports (null: not reported).</param>
/// <param name="SkewSeconds">Edge clock minus hub clock at the last live status (null for accelerated simulations).</param>
/// <param name="Problem">null, <c>unsynchronised</c>, <c>skew</c> or <c>jump</c>: a technical problem on the bed.</param>
/// <param name="JumpAt">Hub time the last clock jump was detected.</param>
public sealed record ClockSummary(bool? Synchronised, double? SkewSeconds, string? Problem, DateTimeOffset? JumpAt);

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

using System.Text.Json.Serialization;

namespace Somnis.Contracts;

/// <summary>
/// A gap report, published by the edge to <c>.../gap</c> (QoS 1, not retained, journaled like data) when data it had
/// accepted can never be delivered: a journal bound or a full disk forced a drop, a corrupted journal record was
/// skipped at start-up, or the hub asked for data the edge no longer holds (<see cref="GapReasons"/>; docs/protocol.md,
/// "Delivery additions"). The hub declares the sequence numbers of the range it has not received lost; sequence
/// numbers it already has are unaffected.
/// </summary>
public sealed record GapMessage
{
    [JsonPropertyName("v")] public int Version { get; init; } = Protocol.Version;

    public string Bed { get; init; } = "";

    /// <summary>Device UTC time the gap was detected.</summary>
    public DateTimeOffset Ts { get; init; }

    /// <summary>First sequence number of the range that will never be sent (inclusive, at least 1).</summary>
    public long FromSeq { get; init; }

    /// <summary>Last sequence number of the range (inclusive, at least <see cref="FromSeq"/>).</summary>
    public long ToSeq { get; init; }

    /// <summary>How many data messages of the range the edge dropped (1 to ToSeq-FromSeq+1; the rest had already been delivered).</summary>
    public long Count { get; init; }

    /// <summary>Event time of the first dropped message, when known.</summary>
    public DateTimeOffset? FromTs { get; init; }

    /// <summary>Event time of the last dropped message, when known.</summary>
    public DateTimeOffset? ToTs { get; init; }

    /// <summary>Why: one of <see cref="GapReasons"/>.</summary>
    public string Reason { get; init; } = "";
}

/// <summary>Why a gap happened (stable labels, used in metrics and docs).</summary>
public static class GapReasons
{
    /// <summary>The journal reached its size bound; the oldest undelivered data was dropped.</summary>
    public const string JournalFull = "journal-full";

    /// <summary>Undelivered data reached the journal's age bound.</summary>
    public const string JournalAge = "journal-age";

    /// <summary>The journal's file system was full; the oldest undelivered data was dropped to make room.</summary>
    public const string DiskFull = "disk-full";

    /// <summary>A journal record was unreadable at start-up (torn write, bad checksum).</summary>
    public const string JournalCorrupt = "journal-corrupt";

    /// <summary>The hub asked for a resend of data the broker had acknowledged (then lost, e.g. a broker crash) and the
    /// edge no longer holds it.</summary>
    public const string NotRetained = "not-retained";

    public static bool IsKnown(string reason) => reason is JournalFull or JournalAge or DiskFull or JournalCorrupt or NotRetained;
}

/// <summary>What the edge still holds for the hub, reported in every status (docs/protocol.md, "Status additions").</summary>
/// <param name="Backlog">Data messages (and gap reports) journaled more than a second ago and not yet acknowledged by the broker.</param>
/// <param name="OldestBacklogTs">Event time of the oldest of them; null when the backlog is empty.</param>
/// <param name="Dropped">Data messages dropped by a journal bound or corruption since the journal was created.</param>
/// <param name="Journal"><c>disk</c> (crash-safe journal) or <c>memory</c> (lost on restart).</param>
public sealed record DeliveryStatus(long Backlog, DateTimeOffset? OldestBacklogTs, long Dropped, string Journal);

/// <summary>Quality of the edge's clock, reported in every status.</summary>
/// <param name="Synchronised">The clock is disciplined by NTP (or equivalent) right now; false = free-running, untrusted.</param>
/// <param name="Source">How that was determined: <c>timedatectl</c>, <c>configured</c>, <c>simulated</c>, <c>unknown</c>.</param>
public sealed record ClockStatus(bool Synchronised, string Source);


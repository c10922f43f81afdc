using System.Text.Json.Serialization;

namespace Somnis.Contracts;

/// <summary>Protocol constants shared by edge and hub (docs/protocol.md).</summary>
public static class Protocol
{
    /// <summary>The payload version this build writes and the only one it accepts.</summary>
    public const int Version = 1;

    /// <summary>Largest accepted payload in bytes; anything larger is rejected unread.</summary>
    public const int MaxPayloadBytes = 4096;
}

/// <summary>
/// One interval of bedside measurements, published by the edge to <c>.../vitals</c>.
/// Ranges are documented in docs/protocol.md and enforced by <see cref="MessageValidator"/>.
/// </summary>
public sealed record VitalsMessage
{
    /// <summary>Protocol version, always <see cref="Protocol.Version"/>.</summary>
    [JsonPropertyName("v")] public int Version { get; init; } = Protocol.Version;

    /// <summary>Bed id; must equal the bed level of the topic.</summary>
    public string Bed { get; init; } = "";

    /// <summary>Per-bed sequence number, strictly increasing over the bed's data messages (vitals and Architect events).</summary>
    public long Seq { get; init; }

    /// <summary>Device UTC time at the end of the interval.</summary>
    public DateTimeOffset Ts { get; init; }

    /// <summary>Length of the interval the message covers, seconds (1–60).</summary>
    public double IntervalSeconds { get; init; }

    /// <summary>Heart rate, beats per minute (20–250); null when no valid beat was found in the interval.</summary>
    public double? HeartRate { get; init; }

    /// <summary>Respiration rate, breaths per minute (3–60); null when not measurable.</summary>
    public double? RespirationRate { get; init; }

    /// <summary>Activity count accumulated over the interval, Actiwatch-compatible units (0–10000); null when the motion sensor is faulty.</summary>
    public double? ActivityCount { get; init; }

    /// <summary>Skin temperature, °C (15–45); null when not measured.</summary>
    public double? SkinTemperature { get; init; }

    /// <summary>Room temperature, °C (0–45); null when not measured.</summary>
    public double? RoomTemperature { get; init; }

    /// <summary>Somebody is lying on the bed; null when presence cannot be determined.</summary>
    public bool? BedPresence { get; init; }

    /// <summary>Share of the interval in which the bed signal was usable, 0–1.</summary>
    public double SignalQuality { get; init; }

    /// <summary>The Dream Architect was stimulating at any time in the interval.</summary>
    public bool ArchitectStimulating { get; init; }

    /// <summary>The Architect interlock relay is cutting stimulation.</summary>
    public bool InterlockEngaged { get; init; }
}

/// <summary>Device status, published retained to <c>.../status</c> on connect (birth) and as the last will (offline).</summary>
public sealed record StatusMessage
{
    [JsonPropertyName("v")] public int Version { get; init; } = Protocol.Version;

    public string Bed { get; init; } = "";

    /// <summary>Last data sequence number the edge had assigned when this status was written.</summary>
    public long Seq { get; init; }

    /// <summary>Device UTC time the status was written (for the last will: the time of connection).</summary>
    public DateTimeOffset Ts { get; init; }

    /// <summary><c>online</c> or <c>offline</c>.</summary>
    public string State { get; init; } = DeviceStates.Online;

    /// <summary><c>hardware</c> or <c>simulated</c>.</summary>
    public string Mode { get; init; } = "";

    /// <summary>Edge software version.</summary>
    public string Software { get; init; } = "";

    /// <summary>Present when the bed is simulated.</summary>
    public SimulationInfo? Simulation { get; init; }

    /// <summary>Health of each sensor; a faulty sensor's values are withheld from vitals.</summary>
    public IReadOnlyList<SensorHealth> Sensors { get; init; } = [];

    /// <summary>What the edge still holds for the hub (docs/protocol.md, "Status additions"); absent from older edges.</summary>
    public DeliveryStatus? Delivery { get; init; }

    /// <summary>Quality of the edge's clock; absent from older edges.</summary>
    public ClockStatus? Clock { get; init; }

    /// <summary>
    /// Identifies one run of the edge program (random at its start, at most 64 characters); absent from older edges.
    /// Lets the hub tell a new run whose numbering went back (an edge without a journal) from a status of the same run
    /// that the broker delivered again (after a hub crash).
    /// </summary>
    public string? Boot { get; init; }
}

public static class DeviceStates
{
    public const string Online = "online";
    public const string Offline = "offline";
}

/// <summary>How a simulated bed is driven.</summary>
/// <param name="Scenario">Scenario name, e.g. <c>healthy</c>.</param>
/// <param name="Seed">Seed of the bed's latent model.</param>
/// <param name="Speed">Simulated seconds per real second.</param>
public sealed record SimulationInfo(string Scenario, int Seed, double Speed);

/// <summary>Health of one sensor.</summary>
/// <param name="Name">Sensor name, e.g. <c>bcg</c>, <c>accelerometer</c>.</param>
/// <param name="Healthy">False when the sensor is faulty; its values are then withheld.</param>
/// <param name="Reason">Why it is faulty (e.g. <c>stale</c>, <c>crc</c>, <c>out-of-range</c>); null when healthy.</param>
public sealed record SensorHealth(string Name, bool Healthy, string? Reason = null);

/// <summary>A change of the Dream Architect's stimulation or of the interlock, published to <c>.../architect</c>.</summary>
public sealed record ArchitectEvent
{
    [JsonPropertyName("v")] public int Version { get; init; } = Protocol.Version;

    public string Bed { get; init; } = "";

    public long Seq { get; init; }

    public DateTimeOffset Ts { get; init; }

    /// <summary>The Architect is stimulating (its stimulation line is high).</summary>
    public bool Stimulating { get; init; }

    /// <summary>The interlock relay is cutting stimulation.</summary>
    public bool InterlockEngaged { get; init; }

    /// <summary>Id of the <see cref="CommandMessage"/> this change carries out; null for a change the edge made by itself
    /// (stimulation starting or stopping, or the local safe rule).</summary>
    public string? CommandId { get; init; }

    /// <summary>Why the interlock changed when the edge decided it: <c>hub-unreachable</c> (local safe rule),
    /// <c>hub-reachable</c> (safe rule lifted); null otherwise.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// A command from the hub to one edge, published by the hub (only the hub's broker account may publish <c>.../cmd</c>)
/// QoS 1 to <c>somnis/{facility}/beds/{bed}/cmd</c>. An interlock command (<c>pause</c>/<c>resume</c>) is <b>retained</b>:
/// the retained message is the state the hub wants, so an edge that (re)connects gets it at once, and the edge answers
/// with an <see cref="ArchitectEvent"/> carrying <see cref="ArchitectEvent.CommandId"/>. A <see cref="Resend"/> is not.
/// </summary>
public sealed record CommandMessage
{
    /// <summary>Delivery: publish again the data messages <see cref="FromSeq"/>–<see cref="ToSeq"/>, which the hub is
    /// missing although the edge's journal was emptied (QoS 1, not retained). The edge answers with the messages it
    /// still holds and a <c>not-retained</c> gap for the rest (docs/protocol.md, "Delivery additions").</summary>
    public const string Resend = CommandActions.Resend;

    /// <summary>Most sequence numbers one resend command may ask for.</summary>
    public const long MaxResendCount = 100_000;

    [JsonPropertyName("v")] public int Version { get; init; } = Protocol.Version;

    /// <summary>Bed id; must equal the bed level of the topic.</summary>
    public string Bed { get; init; } = "";

    /// <summary>Unique id of the command (the hub's audit trail refers to it).</summary>
    public string Id { get; init; } = "";

    /// <summary>Hub UTC time the command was issued.</summary>
    public DateTimeOffset Ts { get; init; }

    /// <summary>One of <see cref="CommandActions"/>.</summary>
    public string Action { get; init; } = "";

    /// <summary>User name of the supervisor, or <c>auto-rule</c> for the hub's automatic interlock rule.</summary>
    public string IssuedBy { get; init; } = "";

    /// <summary><c>resend</c> only: first sequence number to publish again.</summary>
    public long FromSeq { get; init; }

    /// <summary><c>resend</c> only: last sequence number to publish again.</summary>
    public long ToSeq { get; init; }
}

/// <summary>Actions of a <see cref="CommandMessage"/>.</summary>
public static class CommandActions
{
    /// <summary>Engage the interlock: the Architect's stimulation is cut.</summary>
    public const string Pause = "pause";

    /// <summary>Release the interlock: the Architect may stimulate again.</summary>
    public const string Resume = "resume";

    /// <summary>Publish again a range of data messages (delivery accounting; no id, not retained).</summary>
    public const string Resend = "resend";
}

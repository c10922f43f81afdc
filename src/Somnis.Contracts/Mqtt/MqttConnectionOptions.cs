using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Channel;
using MQTTnet.Packets;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// What one <see cref="MqttConnection"/> connects to and how. Built by its owner (edge or hub) from that side's
/// settings; validated there at start-up, where the flags are known.
/// </summary>
public sealed record MqttConnectionOptions
{
    /// <summary>The brokers in order of preference; a failed attempt moves on to the next (and from the last to the first).</summary>
    public required IReadOnlyList<BrokerAddress> Brokers { get; init; }

    /// <summary>MQTT client id; keep it stable for a persistent session.</summary>
    public required string ClientId { get; init; }

    public MqttVersion Version { get; init; } = MqttVersion.V5;

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>CA certificates for <c>mqtts://</c> (a facility's private CA); null: the system's trusted roots.</summary>
    public X509Certificate2Collection? CaCertificates { get; init; }

    /// <summary>Keep the session (and queued QoS 1 messages) while away: MQTT 5 clean start off with
    /// <see cref="SessionExpiry"/>; MQTT 3.1.1 CleanSession = false (the broker decides how long).</summary>
    public bool PersistentSession { get; init; }

    /// <summary>MQTT 5 session expiry of a persistent session. Default 1 h.</summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>MQTT 5 Receive Maximum (messages in flight to this client); null: the protocol's default. Not sent with 3.1.1.</summary>
    public ushort? ReceiveMaximum { get; init; }

    /// <summary>MQTT keep-alive. Default 15 s.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for a CONNACK (and for any other answer of the broker). Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the connection is checked while up. Default 1 s.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A ping is sent when nothing proved the connection alive (an answered ping,
    /// <see cref="MqttConnection.ReportAlive"/>) for this long. Default 15 s.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A ping unanswered for this long drops the connection. In a black hole (a cable pulled) the socket's send buffer
    /// fills and the client's own keep-alive can stall behind it for the OS's TCP timeout (many minutes); the bounded
    /// ping notices it. Default 22.5 s (1.5 keep-alives).
    /// </summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(22.5);

    public ReconnectBackoff Backoff { get; init; } = new();

    /// <summary>Subscribed at the first connection of this process and whenever the broker reports no session.</summary>
    public IReadOnlyList<MqttTopicFilter> Subscriptions { get; init; } = [];

    /// <summary>Opens the connection's socket instead of MQTTnet (the hub's subscriber, which reads ahead); TLS is layered on top.</summary>
    public IMqttClientStreamProvider? StreamProvider { get; init; }

    /// <summary>Large socket buffers (<see cref="BrokerSocket"/>) for connections that carry a backlog. Ignored with a <see cref="StreamProvider"/>.</summary>
    public bool WidenSocketBuffers { get; init; }

    /// <summary>Called for every connection attempt, e.g. to add a last will that carries the state of the moment.</summary>
    public Func<MqttClientOptionsBuilder, MqttClientOptionsBuilder>? Configure { get; init; }
}

/// <summary>
/// Jittered exponential backoff between connection attempts: the n-th consecutive failure waits
/// <c>min(Max, Initial × 2^(n-1))</c>, shortened by a random share of up to <see cref="Jitter"/> so that many clients
/// that lost the same broker do not come back at the same instant. Never longer than <see cref="Max"/>.
/// </summary>
public sealed record ReconnectBackoff
{
    /// <summary>Wait after the first failure. Default 250 ms.</summary>
    public TimeSpan Initial { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait. Default 30 s.</summary>
    public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest share of a wait taken off at random, 0–1. Default 0.5: a wait of <c>d</c> lasts between <c>d/2</c> and <c>d</c>.</summary>
    public double Jitter { get; init; } = 0.5;

    /// <summary>
    /// A connection that lasted at least this long before it was lost starts over (the first attempt at once, to the same
    /// broker); one that was lost sooner counts as a failed attempt, so a connection that keeps being dropped (a
    /// client id taken over by another process, a broker that is shutting down) backs off too. Default 10 s.
    /// </summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after <paramref name="failures"/> consecutive failures (≥ 1), with <paramref name="random"/> in [0, 1).</summary>
    public TimeSpan Delay(int failures, double random)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ticks = Math.Min(Max.Ticks, Initial.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (1 - (Jitter * random))));
    }
}

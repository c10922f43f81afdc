using MQTTnet;
using MQTTnet.Channel;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;

namespace Somnis.Hub.Broker;

/// <summary>
/// The hub's two MQTT connections, built from <see cref="BrokerOptions"/>: the subscriber (<see cref="Ingestion.MqttIngestor"/>,
/// persistent session, acknowledgements held for the delivery checkpoint) and the publisher (<see cref="HubPublisher"/>:
/// alarm states, Architect commands, resend requests). Both use the broker list, TLS, version and backoff set here.
/// </summary>
internal static class BrokerConnections
{
    /// <summary>Jittered exponential backoff between attempts: 200 ms, doubling up to 15 s.</summary>
    public static readonly ReconnectBackoff Backoff = new() { Initial = TimeSpan.FromMilliseconds(200), Max = TimeSpan.FromSeconds(15) };

    public static MqttConnectionOptions Subscriber(BrokerEndpoint endpoint, BrokerOptions o, IMqttClientStreamProvider streams) => Common(endpoint, o, o.ClientId) with
    {
        PersistentSession = true,
        SessionExpiry = o.SessionExpiry,
        // Acknowledgements wait for the checkpoint: allow enough messages in flight to keep a replay flowing.
        ReceiveMaximum = (ushort)o.ReceiveMaximum,
        // BrokerStreamProvider opens the socket itself, with BrokerSocket's buffers, and reads ahead.
        StreamProvider = streams,
        Subscriptions = [.. (o.Facilities is { Length: > 0 } f ? f : ["+"]).Select(facility => new MqttTopicFilterBuilder().WithTopic(Topics.AllBeds(facility)).WithAtLeastOnceQoS().Build())],
    };

    /// <summary>A clean session: a message whose PUBACK did not come is sent again on the next connection by the publisher.</summary>
    public static MqttConnectionOptions Publisher(BrokerEndpoint endpoint, BrokerOptions o) => Common(endpoint, o, o.ClientId + "-publisher") with
    {
        PersistentSession = false,
    };

    private static MqttConnectionOptions Common(BrokerEndpoint endpoint, BrokerOptions o, string clientId) => new()
    {
        Brokers = endpoint.Brokers,
        ClientId = clientId,
        Version = o.MqttVersion,
        // The embedded broker takes anyone on loopback; credentials and CA are for an external broker.
        Username = endpoint.Embedded ? null : o.Username,
        Password = endpoint.Embedded ? null : o.Password,
        CaCertificates = endpoint.Embedded ? null : BrokerTls.LoadCa(o.CaCertificate),
        KeepAlive = TimeSpan.FromSeconds(15),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        CheckInterval = TimeSpan.FromSeconds(1),
        PingInterval = TimeSpan.FromSeconds(2),
        PingTimeout = TimeSpan.FromSeconds(10),
        Backoff = Backoff,
    };
}

using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;

namespace Somnis.Edge.Publishing;

/// <summary>
/// The two MQTT connections of one bed, built from the edge's settings: the data link (<see cref="BedLink"/>, a
/// persistent session that carries the backlog) and the command link (<see cref="CommandListener"/>, a clean session that
/// gets the retained interlock command on every connect). Both use the broker list, TLS, version and backoff of
/// <see cref="EdgeOptions"/>.
/// </summary>
internal static class BrokerLinks
{
    /// <summary>Jittered exponential backoff starts here and doubles up to <see cref="EdgeOptions.ReconnectMaxDelay"/>.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);

    /// <summary>Upper bound of a connect (and of a publish, <see cref="PublishPipeline.Timeout"/>).</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(10);

    public static MqttConnectionOptions Data(EdgeOptions o, string facility, string bed, Func<byte[]> will) => Common(o, $"edge-{facility}-{bed}") with
    {
        PersistentSession = true,
        SessionExpiry = o.SessionExpiry,
        // A PUBACK within the keep-alive proves the connection alive (BedLink reports it): no ping needed then.
        PingInterval = o.KeepAlive,
        WidenSocketBuffers = true,
        Subscriptions = [new MqttTopicFilterBuilder().WithTopic(Topics.For(facility, bed, Topics.Command)).WithAtLeastOnceQoS().Build()],
        // The last will (retained offline status) carries the backlog and clock quality of the moment of connecting.
        Configure = b => b
            .WithWillTopic(Topics.For(facility, bed, Topics.Status))
            .WithWillPayload(will())
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce),
    };

    public static MqttConnectionOptions Command(EdgeOptions o, string facility, string bed) => Common(o, $"edge-{facility}-{bed}-cmd") with
    {
        PersistentSession = false,
        PingInterval = o.KeepAlive,
        Subscriptions = [new MqttTopicFilterBuilder().WithTopic(Topics.For(facility, bed, Topics.Command)).WithAtLeastOnceQoS().Build()],
    };

    private static MqttConnectionOptions Common(EdgeOptions o, string clientId) => new()
    {
        Brokers = BrokerAddress.ParseList(o.Broker),
        ClientId = clientId,
        Version = o.MqttVersion,
        Username = o.BrokerUsername,
        Password = o.BrokerPassword,
        CaCertificates = BrokerTls.LoadCa(o.BrokerCaCertificate),
        KeepAlive = o.KeepAlive,
        ConnectTimeout = o.KeepAlive < LongestWait ? o.KeepAlive : LongestWait,
        CheckInterval = TimeSpan.FromSeconds(1),
        PingTimeout = o.KeepAlive * 1.5,
        Backoff = new ReconnectBackoff { Initial = FirstRetry, Max = o.ReconnectMaxDelay },
    };
}

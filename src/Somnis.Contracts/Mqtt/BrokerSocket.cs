using MQTTnet;

namespace Somnis.Contracts.Mqtt;

/// <summary>Socket settings of the MQTT connections of edge and hub.</summary>
public static class BrokerSocket
{
    /// <summary>Requested socket send and receive buffer, in bytes (the kernel caps it, at about 208 KiB by default).</summary>
    public const int BufferBytes = 1024 * 1024;

    /// <summary>
    /// MQTTnet sets both socket buffers to its <c>BufferSize</c> (8 KiB by default) before connecting, which turns off
    /// TCP window scaling: the receive window stays at about 8 KiB, some 25 messages. Each window then costs a round
    /// trip that includes the time until the receiving process is scheduled, so on a busy machine the hub drained a
    /// backlog far slower than the beds produced it, while idle. Larger buffers keep a replay or a backlog flowing
    /// (docs/performance.md, "What was changed", <c>BrokerSocket</c>).
    /// </summary>
    public static MqttClientOptions Widen(MqttClientOptions options)
    {
        if (options.ChannelOptions is MqttClientTcpOptions tcp)
        {
            tcp.BufferSize = BufferBytes;
        }

        return options;
    }
}

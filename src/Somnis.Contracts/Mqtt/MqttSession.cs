using MQTTnet;

namespace Somnis.Contracts.Mqtt;

public enum MqttConnectionState
{
    Disconnected,
    Connecting,
    Connected,
}

/// <summary>A connection that is up: the broker, whether it still had this client's session, and the client.</summary>
public sealed record MqttSession(BrokerAddress Broker, bool SessionPresent, IMqttClient Client);

/// <summary>No connection now, and the backoff does not allow an attempt yet.</summary>
public sealed class MqttNotConnectedException(string message, Exception? innerException = null) : Exception(message, innerException);

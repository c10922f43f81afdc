namespace Somnis.Hub;

/// <summary>Every log line the hub writes. Payloads are never logged: only beds, topics and reasons.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Embedded MQTT broker listening on 127.0.0.1:{Port}")]
    public static partial void EmbeddedBrokerStarted(ILogger logger, int port);

    [LoggerMessage(2, LogLevel.Information, "Connected to broker {Broker} (session present: {SessionPresent})")]
    public static partial void BrokerConnected(ILogger logger, string broker, bool sessionPresent);

    [LoggerMessage(3, LogLevel.Warning, "Broker {Broker} unreachable: {Reason}; retrying")]
    public static partial void BrokerUnreachable(ILogger logger, string broker, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Rejected message ({Reason}) from bed {Bed} on {Topic}: {Detail}. Further rejects for this reason and topic are only counted.")]
    public static partial void MessageRejected(ILogger logger, string reason, string bed, string topic, string detail);

    [LoggerMessage(5, LogLevel.Error, "Processing a message on {Topic} failed")]
    public static partial void IngestFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Failed sign-in for user {User}")]
    public static partial void SignInFailed(ILogger logger, string user);

    [LoggerMessage(7, LogLevel.Error, "Live feed push failed")]
    public static partial void LiveFeedFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Embedded broker port {Wanted} is in use; using {Actual} instead")]
    public static partial void EmbeddedPortTaken(ILogger logger, int wanted, int actual);

    [LoggerMessage(100, LogLevel.Warning, "Facility incident in {Facility}: {Beds} beds aroused together")]
    public static partial void IncidentDetected(ILogger logger, string facility, int beds);

    [LoggerMessage(101, LogLevel.Error, "An assessment listener failed on {Type}")]
    public static partial void AssessmentListenerFailed(ILogger logger, string type, Exception exception);
}

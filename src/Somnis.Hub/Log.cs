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

    [LoggerMessage(200, LogLevel.Information, "Bed {Bed}: sequence gap {FromSeq}-{ToSeq} opened; waiting for the edge to replay it")]
    public static partial void DeliveryGapOpened(ILogger logger, string bed, long fromSeq, long toSeq);

    [LoggerMessage(201, LogLevel.Information, "Bed {Bed}: every gap filled; complete up to sequence {LastSeq} ({Received} received)")]
    public static partial void DeliveryGapClosed(ILogger logger, string bed, long lastSeq, long received);

    [LoggerMessage(202, LogLevel.Warning, "Bed {Bed}: {Lost} sequence number(s) declared lost by the edge (gap report {FromSeq}-{ToSeq}, {Count} dropped there, reason {Reason})")]
    public static partial void DeliveryLost(ILogger logger, string bed, long lost, long fromSeq, long toSeq, long count, string reason);

    [LoggerMessage(203, LogLevel.Warning, "Bed {Bed}: the edge restarted its sequence (was {LastSeq}, now {NewSeq}), it has no journal; {Lost} missing sequence number(s) are lost")]
    public static partial void DeliverySequenceReset(ILogger logger, string bed, long lastSeq, long newSeq, long lost);

    [LoggerMessage(204, LogLevel.Warning, "Bed {Bed}: clock jump between sequence {PrevSeq} and {Seq}: event time moved {StepSeconds} s; flagged as a technical problem, ordering stays by sequence")]
    public static partial void ClockJump(ILogger logger, string bed, long prevSeq, long seq, double stepSeconds);

    [LoggerMessage(205, LogLevel.Error, "Missing sequence range {FromSeq}-{ToSeq} declared lost: more than {MaxRanges} missing ranges on one bed")]
    public static partial void DeliveryMissingBound(ILogger logger, long fromSeq, long toSeq, int maxRanges);

    [LoggerMessage(206, LogLevel.Information, "Delivery state of {Beds} bed(s) loaded from {Path}")]
    public static partial void DeliveryStateLoaded(ILogger logger, int beds, string path);

    [LoggerMessage(207, LogLevel.Error, "Delivery state {Path} is unreadable ({Reason}); moved to {Aside}, accounting restarts")]
    public static partial void DeliveryStateCorrupt(ILogger logger, string path, string aside, string reason);

    [LoggerMessage(208, LogLevel.Error, "Saving the delivery state failed: {Reason}; messages stay unacknowledged and the broker redelivers them")]
    public static partial void DeliveryCheckpointFailed(ILogger logger, string reason);

    [LoggerMessage(209, LogLevel.Warning, "Bed {Bed}: sequence {FromSeq}-{ToSeq} still missing with no replay filling it; asked the edge to resend")]
    public static partial void ResendRequested(ILogger logger, string bed, long fromSeq, long toSeq);
}

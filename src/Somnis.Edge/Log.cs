using Microsoft.Extensions.Logging;

namespace Somnis.Edge;

/// <summary>Every log line the edge writes. Payloads are never logged, only beds, topics and reasons.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Edge started: facility {Facility}, {BedCount} bed(s), mode {Mode}, broker {Broker}, speed {Speed}x")]
    public static partial void Started(ILogger logger, string facility, int bedCount, string mode, string broker, double speed);

    [LoggerMessage(2, LogLevel.Information, "Bed {Bed} connected to {Broker}")]
    public static partial void Connected(ILogger logger, string bed, string broker);

    [LoggerMessage(3, LogLevel.Warning, "Bed {Bed} cannot reach broker {Broker}: {Reason}; retrying")]
    public static partial void ConnectFailed(ILogger logger, string bed, string broker, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Bed {Bed} publish failed: {Reason}; the message stays queued")]
    public static partial void PublishFailed(ILogger logger, string bed, string reason);

    [LoggerMessage(5, LogLevel.Error, "Bed {Bed} outbound queue full: dropped message seq {Seq}")]
    public static partial void QueueDropped(ILogger logger, string bed, long seq);

    [LoggerMessage(6, LogLevel.Warning, "Bed {Bed} sensor {Sensor} is faulty: {Reason}; its values are withheld")]
    public static partial void SensorFault(ILogger logger, string bed, string sensor, string reason);

    [LoggerMessage(7, LogLevel.Error, "Bed {Bed} loop failed; continuing")]
    public static partial void BedLoopFailed(ILogger logger, string bed, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Bed {Bed} Architect interlock {Engaged} ({Cause})")]
    public static partial void InterlockChanged(ILogger logger, string bed, bool engaged, string cause);

    [LoggerMessage(9, LogLevel.Warning, "Bed {Bed} rejected a command ({Reason}: {Detail})")]
    public static partial void CommandRejected(ILogger logger, string bed, string reason, string detail);

    [LoggerMessage(10, LogLevel.Error, "Bed {Bed} has had no broker connection for commands for {Elapsed}: local safe rule engages the Architect interlock")]
    public static partial void InterlockFailSafe(ILogger logger, string bed, TimeSpan elapsed);

    [LoggerMessage(11, LogLevel.Warning, "Bed {Bed} command channel cannot reach {Broker}: {Reason}; retrying")]
    public static partial void CommandConnectFailed(ILogger logger, string bed, string broker, string reason);
}

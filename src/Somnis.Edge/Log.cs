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

    [LoggerMessage(100, LogLevel.Warning, "Bed {Bed} sensor {Sensor} driver failed ({Error}: {Message}); reopening in 10 s")]
    public static partial void SensorDriverFailed(ILogger logger, string bed, string sensor, string error, string message);

    [LoggerMessage(101, LogLevel.Information, "Bed {Bed} Architect interlock engaged: {Engaged}")]
    public static partial void InterlockSet(ILogger logger, string bed, bool engaged);

    [LoggerMessage(102, LogLevel.Information, "Bed {Bed} hardware mode on {Chips} chips: {Sensors}")]
    public static partial void HardwareStarted(ILogger logger, string bed, string chips, string sensors);

    [LoggerMessage(200, LogLevel.Error, "Bed {Bed} journal: dropped {Count} undelivered message(s), sequence {FromSeq}-{ToSeq}, event time {FromTs:o} to {ToTs:o} ({Reason}); reported upstream as a gap")]
    public static partial void JournalDropped(ILogger logger, string bed, int count, long fromSeq, long toSeq, DateTimeOffset fromTs, DateTimeOffset toTs, string reason);

    [LoggerMessage(201, LogLevel.Error, "Bed {Bed} journal: {Regions} corrupted region(s) ({Bytes} bytes, torn write or bad checksum) in segment {Segment} skipped; {Count} record(s) lost, sequence {FromSeq}-{ToSeq}; reported upstream as a gap")]
    public static partial void JournalCorrupt(ILogger logger, string bed, string segment, int regions, long bytes, long count, long fromSeq, long toSeq);

    [LoggerMessage(202, LogLevel.Warning, "Bed {Bed} journal: {Regions} corrupted region(s) ({Bytes} bytes) in segment {Segment} skipped; 0 records lost (no data sequence number missing around them)")]
    public static partial void JournalCorruptNoLoss(ILogger logger, string bed, string segment, int regions, long bytes);

    [LoggerMessage(203, LogLevel.Information, "Bed {Bed} journal recovered: {Count} undelivered record(s) to replay; sequence continues after {LastSeq}")]
    public static partial void JournalRecovered(ILogger logger, string bed, int count, long lastSeq);

    [LoggerMessage(204, LogLevel.Error, "Bed {Bed} journal write failed: {Reason}; the message is kept in memory and published, but would not survive a restart")]
    public static partial void JournalWriteFailed(ILogger logger, string bed, string reason);

    [LoggerMessage(205, LogLevel.Warning, "Bed {Bed} publish circuit open: the broker failed repeatedly; {Backlog} message(s) stay journaled")]
    public static partial void CircuitOpen(ILogger logger, string bed, int backlog);

    [LoggerMessage(206, LogLevel.Information, "Bed {Bed} connected to {Broker} (session present: {SessionPresent}); replaying {Backlog} journaled message(s)")]
    public static partial void ConnectedWithBacklog(ILogger logger, string bed, string broker, bool sessionPresent, int backlog);

    [LoggerMessage(207, LogLevel.Information, "Bed {Bed} replay finished: backlog delivered")]
    public static partial void ReplayFinished(ILogger logger, string bed);

    [LoggerMessage(208, LogLevel.Warning, "Clock quality: {Detail}")]
    public static partial void ClockUnknown(ILogger logger, string detail);

    [LoggerMessage(209, LogLevel.Information, "Journal in {Directory}: max {MaxBytes} bytes and {MaxAge} per bed, fsync every {FlushInterval} or {FlushBytes} bytes")]
    public static partial void JournalOpened(ILogger logger, string directory, long maxBytes, TimeSpan maxAge, TimeSpan flushInterval, long flushBytes);

    [LoggerMessage(210, LogLevel.Warning, "No --journal: undelivered data is held in memory only and is lost if the edge restarts")]
    public static partial void JournalInMemory(ILogger logger);

    [LoggerMessage(211, LogLevel.Critical, "Bed {Bed}: journal directory {Directory} cannot be used: {Reason}. The edge stops: without its journal it could lose data")]
    public static partial void JournalUnavailable(ILogger logger, string bed, string directory, string reason);

    [LoggerMessage(212, LogLevel.Warning, "Bed {Bed}: the hub asked for sequence {FromSeq}-{ToSeq} again (lost after the broker acknowledged it); {Resent} resent from the journal, {NotRetained} no longer held (reported as a gap)")]
    public static partial void JournalResend(ILogger logger, string bed, long fromSeq, long toSeq, int resent, long notRetained);

    [LoggerMessage(213, LogLevel.Warning, "Bed {Bed}: command rejected ({Reason}): {Detail}")]
    public static partial void CommandRejected(ILogger logger, string bed, string reason, string detail);

    [LoggerMessage(214, LogLevel.Warning, "Bed {Bed}: the broker did not answer a ping within {KeepAlive}; dropping the connection and reconnecting")]
    public static partial void PingUnanswered(ILogger logger, string bed, TimeSpan keepAlive);

    [LoggerMessage(215, LogLevel.Warning, "Bed {Bed} journal: disk full; removed the oldest segment ({Bytes} bytes, {Undelivered} undelivered message(s) among them, reported as a disk-full gap) to make room")]
    public static partial void JournalDiskFull(ILogger logger, string bed, long bytes, int undelivered);

    [LoggerMessage(216, LogLevel.Warning, "Bed {Bed} journal: {Reason}; records stay fsynced, but a segment created or deleted just before a power cut may be missing or come back")]
    public static partial void JournalDirectorySyncFailed(ILogger logger, string bed, string reason);

    [LoggerMessage(217, LogLevel.Warning, "Bed {Bed} stopped with {Backlog} message(s) still journaled; they are delivered after the next start")]
    public static partial void StoppedWithBacklog(ILogger logger, string bed, int backlog);

    [LoggerMessage(8, LogLevel.Warning, "Bed {Bed} Architect interlock {Engaged} ({Cause})")]
    public static partial void InterlockChanged(ILogger logger, string bed, bool engaged, string cause);

    [LoggerMessage(9, LogLevel.Warning, "Bed {Bed} rejected an interlock command ({Reason}: {Detail})")]
    public static partial void InterlockCommandRejected(ILogger logger, string bed, string reason, string detail);

    [LoggerMessage(10, LogLevel.Error, "Bed {Bed} has had no broker connection for commands for {Elapsed}: local safe rule engages the Architect interlock")]
    public static partial void InterlockFailSafe(ILogger logger, string bed, TimeSpan elapsed);

    [LoggerMessage(11, LogLevel.Warning, "Bed {Bed} command channel cannot reach {Broker}: {Reason}; retrying")]
    public static partial void CommandConnectFailed(ILogger logger, string bed, string broker, string reason);

    // 420–429: start-up of the beds.
    [LoggerMessage(420, LogLevel.Information, "{Beds} bed(s) wait for {Reason} before they start")]
    public static partial void BedsWaiting(ILogger logger, int beds, string reason);

    [LoggerMessage(421, LogLevel.Information, "{Beds} bed(s) start after waiting {Waited}")]
    public static partial void BedsStarting(ILogger logger, int beds, TimeSpan waited);

    // 340–369: the bed's broker connections (MqttConnection events; connect failures are EventIds 3 and 11).
    [LoggerMessage(340, LogLevel.Warning, "Bed {Bed} lost its connection to {Broker}: {Reason}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string bed, string broker, string reason);

    [LoggerMessage(341, LogLevel.Warning, "Bed {Bed} command channel lost its connection to {Broker}: {Reason}; reconnecting")]
    public static partial void CommandConnectionLost(ILogger logger, string bed, string broker, string reason);

    [LoggerMessage(342, LogLevel.Debug, "Bed {Bed} command channel connected to {Broker}")]
    public static partial void CommandConnected(ILogger logger, string bed, string broker);

    [LoggerMessage(343, LogLevel.Warning, "Bed {Bed} command channel: no ping answer from {Broker} within {Timeout}; reconnecting")]
    public static partial void CommandPingUnanswered(ILogger logger, string bed, string broker, TimeSpan timeout);
}

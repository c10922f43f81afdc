using System.Buffers;
using System.Text.Json;

namespace Somnis.Contracts;

/// <summary>Why a message was rejected. The names are stable: they are metric labels and documented in docs/protocol.md.</summary>
public enum RejectReason
{
    TooLarge,
    NotJson,
    WrongType,
    UnsupportedVersion,
    BedMismatch,
    NotFinite,
    OutOfRange,
    MissingField,
    UnknownTopic,
}

public static class RejectReasons
{
    /// <summary>The kebab-case label used in logs, metrics and docs.</summary>
    public static string Label(this RejectReason reason) => reason switch
    {
        RejectReason.TooLarge => "too-large",
        RejectReason.NotJson => "not-json",
        RejectReason.WrongType => "wrong-type",
        RejectReason.UnsupportedVersion => "unsupported-version",
        RejectReason.BedMismatch => "bed-mismatch",
        RejectReason.NotFinite => "not-finite",
        RejectReason.OutOfRange => "out-of-range",
        RejectReason.MissingField => "missing-field",
        RejectReason.UnknownTopic => "unknown-topic",
        _ => "unknown",
    };
}

/// <summary>The outcome of parsing one payload: a message, or a reason with a short detail (never the payload itself).</summary>
public readonly record struct Parsed<T>(T? Message, RejectReason? Reason, string? Detail)
    where T : class
{
    public bool Ok => Message is not null;

    public static Parsed<T> Accept(T message) => new(message, null, null);

    public static Parsed<T> Reject(RejectReason reason, string detail) => new(null, reason, detail);
}

/// <summary>Parses and validates wire payloads against the ranges in docs/protocol.md.</summary>
public static class MessageValidator
{
    // Ranges of the vitals fields: physiologically possible values with margin, so a real extreme still passes
    // and a unit mistake (e.g. Hz for bpm, Kelvin for °C) does not.
    public const double MinHeartRate = 20, MaxHeartRate = 250;
    public const double MinRespirationRate = 3, MaxRespirationRate = 60;
    public const double MaxActivityCount = 10_000;
    public const double MinSkinTemperature = 15, MaxSkinTemperature = 45;
    public const double MinRoomTemperature = 0, MaxRoomTemperature = 45;
    public const double MinIntervalSeconds = 1, MaxIntervalSeconds = 60;

    public static Parsed<VitalsMessage> ParseVitals(ReadOnlySequence<byte> payload, string topicBed)
    {
        // The common case, read without the general deserializer; anything else takes the general path below.
        if (payload.IsSingleSegment && !payload.IsEmpty && payload.Length <= Protocol.MaxPayloadBytes
            && VitalsReader.TryRead(payload.FirstSpan, topicBed, out var plain))
        {
            return Validate(plain, topicBed);
        }

        return ParseVitalsGeneral(payload, topicBed);
    }

    /// <summary><see cref="ParseVitals"/> through the source-generated deserializer only (what the fast reader is tested against).</summary>
    internal static Parsed<VitalsMessage> ParseVitalsGeneral(ReadOnlySequence<byte> payload, string topicBed)
    {
        var parsed = Deserialize(payload, SomnisJsonContext.Default.VitalsMessage);
        return parsed.Ok ? Validate(parsed.Message!, topicBed) : parsed;
    }

    public static Parsed<StatusMessage> ParseStatus(ReadOnlySequence<byte> payload, string topicBed)
    {
        var parsed = Deserialize(payload, SomnisJsonContext.Default.StatusMessage);
        if (!parsed.Ok)
        {
            return parsed;
        }

        var m = parsed.Message!;
        if (Header(m.Version, m.Bed, m.Seq, m.Ts, topicBed) is { } reject)
        {
            return Parsed<StatusMessage>.Reject(reject.Reason, reject.Detail);
        }

        if (m.State is not (DeviceStates.Online or DeviceStates.Offline))
        {
            return Parsed<StatusMessage>.Reject(RejectReason.OutOfRange, "state");
        }

        if (m.Boot is { Length: > 64 })
        {
            return Parsed<StatusMessage>.Reject(RejectReason.OutOfRange, "boot");
        }

        return parsed;
    }

    public static Parsed<ArchitectEvent> ParseArchitect(ReadOnlySequence<byte> payload, string topicBed)
    {
        var parsed = Deserialize(payload, SomnisJsonContext.Default.ArchitectEvent);
        if (!parsed.Ok)
        {
            return parsed;
        }

        var m = parsed.Message!;
        return Header(m.Version, m.Bed, m.Seq, m.Ts, topicBed) is { } reject
            ? Parsed<ArchitectEvent>.Reject(reject.Reason, reject.Detail)
            : parsed;
    }

    public static Parsed<GapMessage> ParseGap(ReadOnlySequence<byte> payload, string topicBed)
    {
        var parsed = Deserialize(payload, SomnisJsonContext.Default.GapMessage);
        if (!parsed.Ok)
        {
            return parsed;
        }

        var m = parsed.Message!;
        if (Header(m.Version, m.Bed, 0, m.Ts, topicBed) is { } reject)
        {
            return Parsed<GapMessage>.Reject(reject.Reason, reject.Detail);
        }

        if (m.FromSeq < 1 || m.ToSeq < m.FromSeq)
        {
            return Parsed<GapMessage>.Reject(RejectReason.OutOfRange, "fromSeq/toSeq");
        }

        if (m.Count < 1 || m.Count > m.ToSeq - m.FromSeq + 1)
        {
            return Parsed<GapMessage>.Reject(RejectReason.OutOfRange, "count");
        }

        return GapReasons.IsKnown(m.Reason) ? parsed : Parsed<GapMessage>.Reject(RejectReason.OutOfRange, "reason");
    }

    /// <summary>Parses a hub command: <c>resend</c> with a sequence range, or <c>pause</c>/<c>resume</c> with an id and time.</summary>
    public static Parsed<CommandMessage> ParseCommand(ReadOnlySequence<byte> payload, string topicBed)
    {
        var parsed = Deserialize(payload, SomnisJsonContext.Default.CommandMessage);
        if (!parsed.Ok)
        {
            return parsed;
        }

        var m = parsed.Message!;
        if (m.Version != Protocol.Version)
        {
            return Parsed<CommandMessage>.Reject(RejectReason.UnsupportedVersion, $"v={m.Version}");
        }

        if (!string.Equals(m.Bed, topicBed, StringComparison.Ordinal))
        {
            return Parsed<CommandMessage>.Reject(RejectReason.BedMismatch, "payload bed differs from topic bed");
        }

        if (m.Action == CommandActions.Resend)
        {
            return m.FromSeq < 1 || m.ToSeq < m.FromSeq || m.ToSeq - m.FromSeq + 1 > CommandMessage.MaxResendCount
                ? Parsed<CommandMessage>.Reject(RejectReason.OutOfRange, "fromSeq/toSeq")
                : parsed;
        }

        if (Header(m.Version, m.Bed, 0, m.Ts, topicBed) is { } reject)
        {
            return Parsed<CommandMessage>.Reject(reject.Reason, reject.Detail);
        }

        if (string.IsNullOrEmpty(m.Id) || m.Id.Length > 64)
        {
            return Parsed<CommandMessage>.Reject(string.IsNullOrEmpty(m.Id) ? RejectReason.MissingField : RejectReason.OutOfRange, "id");
        }

        return m.Action is CommandActions.Pause or CommandActions.Resume
            ? parsed
            : Parsed<CommandMessage>.Reject(RejectReason.OutOfRange, "action");
    }

    public static Parsed<VitalsMessage> Validate(VitalsMessage m, string topicBed)
    {
        if (Header(m.Version, m.Bed, m.Seq, m.Ts, topicBed) is { } reject)
        {
            return Parsed<VitalsMessage>.Reject(reject.Reason, reject.Detail);
        }

        var failure =
            Range("intervalSeconds", m.IntervalSeconds, MinIntervalSeconds, MaxIntervalSeconds)
            ?? Range("heartRate", m.HeartRate, MinHeartRate, MaxHeartRate)
            ?? Range("respirationRate", m.RespirationRate, MinRespirationRate, MaxRespirationRate)
            ?? Range("activityCount", m.ActivityCount, 0, MaxActivityCount)
            ?? Range("skinTemperature", m.SkinTemperature, MinSkinTemperature, MaxSkinTemperature)
            ?? Range("roomTemperature", m.RoomTemperature, MinRoomTemperature, MaxRoomTemperature)
            ?? Range("signalQuality", m.SignalQuality, 0, 1);
        return failure is { } f ? Parsed<VitalsMessage>.Reject(f.Reason, f.Detail) : Parsed<VitalsMessage>.Accept(m);
    }

    private static (RejectReason Reason, string Detail)? Header(int version, string bed, long seq, DateTimeOffset ts, string topicBed)
    {
        if (version != Protocol.Version)
        {
            return (RejectReason.UnsupportedVersion, $"v={version}");
        }

        if (string.IsNullOrEmpty(bed))
        {
            return (RejectReason.MissingField, "bed");
        }

        if (!string.Equals(bed, topicBed, StringComparison.Ordinal))
        {
            return (RejectReason.BedMismatch, "payload bed differs from topic bed");
        }

        if (seq < 0)
        {
            return (RejectReason.OutOfRange, "seq");
        }

        if (ts == default)
        {
            return (RejectReason.MissingField, "ts");
        }

        return null;
    }

    private static (RejectReason Reason, string Detail)? Range(string field, double? value, double min, double max)
    {
        if (value is not { } v)
        {
            return null;
        }

        if (!double.IsFinite(v))
        {
            return (RejectReason.NotFinite, field);
        }

        return v < min || v > max ? (RejectReason.OutOfRange, field) : null;
    }

    private static Parsed<T> Deserialize<T>(ReadOnlySequence<byte> payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class
    {
        if (payload.Length > Protocol.MaxPayloadBytes)
        {
            return Parsed<T>.Reject(RejectReason.TooLarge, $"{payload.Length} bytes > {Protocol.MaxPayloadBytes}");
        }

        if (payload.IsEmpty)
        {
            return Parsed<T>.Reject(RejectReason.NotJson, "empty payload");
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            var message = JsonSerializer.Deserialize(ref reader, info);
            return message is null ? Parsed<T>.Reject(RejectReason.NotJson, "null") : Parsed<T>.Accept(message);
        }
        catch (JsonException ex)
        {
            // Only on failure: tell malformed JSON apart from well-formed JSON with a value of the wrong type.
            return IsWellFormed(payload)
                ? Parsed<T>.Reject(RejectReason.WrongType, ex.Path ?? "$")
                : Parsed<T>.Reject(RejectReason.NotJson, $"line {ex.LineNumber}, byte {ex.BytePositionInLine}");
        }
    }

    private static bool IsWellFormed(ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

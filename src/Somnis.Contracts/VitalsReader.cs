using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Somnis.Contracts;

/// <summary>
/// Reads a vitals payload in the shape edges write it, without the general deserializer: every field under its
/// camelCase name, each at most once, numbers as JSON numbers, the non-nullable fields present. It answers
/// <c>false</c> for anything else (other spellings, unknown fields, strings for numbers, malformed JSON, …) and the
/// caller falls back to the source-generated deserializer, which decides and explains; so this reader never changes
/// what is accepted or why something is rejected, only how fast the common case is read.
/// </summary>
/// <remarks>
/// Why it exists: the source generator treats the record's init-only properties as constructor arguments and boxes
/// every value into an argument array, for every message the hub takes in (docs/performance.md, "What was changed",
/// <c>VitalsReader</c>). It reads
/// the values through the same <see cref="Utf8JsonReader"/> calls the serializer's converters make
/// (<c>TryGetInt32</c>, <c>TryGetInt64</c>, <c>TryGetDouble</c>, <c>TryGetDateTimeOffset</c>), so a value it takes is
/// the value the serializer would take. <c>VitalsReaderTests</c> compares the two on thousands of mutated payloads.
/// </remarks>
internal static class VitalsReader
{
    // In the order edges write them (Messages.cs), so the next name is usually the expected one.
    private static readonly byte[][] Names =
    [
        "v"u8.ToArray(), "bed"u8.ToArray(), "seq"u8.ToArray(), "ts"u8.ToArray(), "intervalSeconds"u8.ToArray(),
        "heartRate"u8.ToArray(), "respirationRate"u8.ToArray(), "activityCount"u8.ToArray(),
        "skinTemperature"u8.ToArray(), "roomTemperature"u8.ToArray(), "bedPresence"u8.ToArray(),
        "signalQuality"u8.ToArray(), "architectStimulating"u8.ToArray(), "interlockEngaged"u8.ToArray(),
    ];

    private const int V = 0, Bed = 1, Seq = 2, Ts = 3, Interval = 4, HeartRate = 5, Respiration = 6, Activity = 7,
        Skin = 8, Room = 9, Presence = 10, Quality = 11, Stimulating = 12, Interlock = 13;

    // The fields that are not nullable: when one is missing the serializer's own defaults apply, so leave it to it.
    private const int Required = 1 << V | 1 << Bed | 1 << Seq | 1 << Ts | 1 << Interval | 1 << Quality | 1 << Stimulating | 1 << Interlock;

    /// <summary>Reads <paramref name="json"/>; false when it is not in the plain shape (see the type's summary).</summary>
    /// <param name="topicBed">The bed of the topic: a payload naming it reuses this string instead of allocating one.</param>
    public static bool TryRead(ReadOnlySpan<byte> json, string topicBed, [NotNullWhen(true)] out VitalsMessage? message)
    {
        message = null;
        try
        {
            return TryReadCore(json, topicBed, out message);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON (or a string that is not valid UTF-8): the general path reads it again and tells not-json
            // from wrong-type, with the position.
            return false;
        }
    }

    private static bool TryReadCore(ReadOnlySpan<byte> json, string topicBed, [NotNullWhen(true)] out VitalsMessage? message)
    {
        message = null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        int version = 0, seen = 0, expected = 0;
        long seq = 0;
        string? bed = null;
        DateTimeOffset ts = default;
        double interval = 0, quality = 0;
        double? heartRate = null, respiration = null, activity = null, skin = null, room = null;
        bool? presence = null;
        bool stimulating = false, interlock = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                if ((seen & Required) != Required)
                {
                    return false;
                }

                message = new VitalsMessage
                {
                    Version = version,
                    Bed = bed!,
                    Seq = seq,
                    Ts = ts,
                    IntervalSeconds = interval,
                    HeartRate = heartRate,
                    RespirationRate = respiration,
                    ActivityCount = activity,
                    SkinTemperature = skin,
                    RoomTemperature = room,
                    BedPresence = presence,
                    SignalQuality = quality,
                    ArchitectStimulating = stimulating,
                    InterlockEngaged = interlock,
                };
                return true;
            }

            var field = Field(ref reader, expected);
            if (field < 0 || (seen & (1 << field)) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= 1 << field;
            expected = field + 1;
            var ok = field switch
            {
                V => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out version),
                Bed => ReadBed(ref reader, topicBed, out bed),
                Seq => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seq),
                Ts => reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out ts),
                Interval => ReadDouble(ref reader, out interval),
                HeartRate => ReadNullableDouble(ref reader, out heartRate),
                Respiration => ReadNullableDouble(ref reader, out respiration),
                Activity => ReadNullableDouble(ref reader, out activity),
                Skin => ReadNullableDouble(ref reader, out skin),
                Room => ReadNullableDouble(ref reader, out room),
                Presence => ReadNullableBool(ref reader, out presence),
                Quality => ReadDouble(ref reader, out quality),
                Stimulating => ReadBool(ref reader, out stimulating),
                Interlock => ReadBool(ref reader, out interlock),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>The index of the property name the reader is on, trying the expected one first; -1 when unknown.</summary>
    private static int Field(ref Utf8JsonReader reader, int expected)
    {
        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            return -1;
        }

        for (var k = 0; k < Names.Length; k++)
        {
            var i = (expected + k) % Names.Length;
            if (reader.ValueTextEquals(Names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool ReadBed(ref Utf8JsonReader reader, string topicBed, out string? bed)
    {
        bed = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        bed = reader.ValueTextEquals(topicBed) ? topicBed : reader.GetString();
        return true;
    }

    private static bool ReadDouble(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out value);
    }

    private static bool ReadNullableDouble(ref Utf8JsonReader reader, out double? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var d))
        {
            return false;
        }

        value = d;
        return true;
    }

    private static bool ReadBool(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    private static bool ReadNullableBool(ref Utf8JsonReader reader, out bool? value)
    {
        value = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null;
    }
}

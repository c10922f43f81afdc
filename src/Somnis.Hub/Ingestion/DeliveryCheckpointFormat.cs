using System.Buffers;
using System.Text.Json;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// The format of the delivery checkpoint (DATA/delivery.json), written and read here and nowhere else: a JSON array with
/// one object per bed, camelCase, nulls written:
/// <c>{"facility","bed","lastSequence","received","duplicates","late","resets","missing":[{"from","to"}],"lost":[…],"newestEventTs","deviceFrontier","boots":[…]}</c>.
/// </summary>
/// <remarks>
/// Written by hand with <see cref="Utf8JsonWriter"/> because a checkpoint is taken every
/// <see cref="DeliveryOptions.CheckpointInterval"/> (20 times a second by default): each bed's entry is encoded only
/// when the bed changed and kept as bytes, and the file is joined from the kept entries: at a real-time rate almost
/// every bed is unchanged between checkpoints (docs/performance.md, "What was changed", delivery checkpoint).
/// Read back by hand with <see cref="Utf8JsonReader"/> from the same property names, in any order; unknown properties
/// are skipped and absent or null lists are empty, so the files of older hubs (before boot ids) load too. Anything
/// else malformed is a <see cref="JsonException"/> naming the property and the byte offset.
/// </remarks>
internal sealed class DeliveryCheckpointFormat
{
    private static readonly JsonEncodedText Facility = JsonEncodedText.Encode("facility");
    private static readonly JsonEncodedText Bed = JsonEncodedText.Encode("bed");
    private static readonly JsonEncodedText LastSequence = JsonEncodedText.Encode("lastSequence");
    private static readonly JsonEncodedText Received = JsonEncodedText.Encode("received");
    private static readonly JsonEncodedText Duplicates = JsonEncodedText.Encode("duplicates");
    private static readonly JsonEncodedText Late = JsonEncodedText.Encode("late");
    private static readonly JsonEncodedText Resets = JsonEncodedText.Encode("resets");
    private static readonly JsonEncodedText Missing = JsonEncodedText.Encode("missing");
    private static readonly JsonEncodedText Lost = JsonEncodedText.Encode("lost");
    private static readonly JsonEncodedText NewestEventTs = JsonEncodedText.Encode("newestEventTs");
    private static readonly JsonEncodedText DeviceFrontier = JsonEncodedText.Encode("deviceFrontier");
    private static readonly JsonEncodedText Boots = JsonEncodedText.Encode("boots");
    private static readonly JsonEncodedText From = JsonEncodedText.Encode("from");
    private static readonly JsonEncodedText To = JsonEncodedText.Encode("to");

    /// <summary>How each property of a bed's entry is read (in any order; others are skipped).</summary>
    private static readonly (JsonEncodedText Name, ReadProperty Read)[] EntryProperties =
    [
        (Facility, static (ref r, name, e) => e.Facility = ReadString(ref r, name)),
        (Bed, static (ref r, name, e) => e.Bed = ReadString(ref r, name)),
        (LastSequence, static (ref r, name, e) => e.LastSequence = ReadNumber(ref r, name)),
        (Received, static (ref r, name, e) => e.Received = ReadNumber(ref r, name)),
        (Duplicates, static (ref r, name, e) => e.Duplicates = ReadNumber(ref r, name)),
        (Late, static (ref r, name, e) => e.Late = ReadNumber(ref r, name)),
        (Resets, static (ref r, name, e) => e.Resets = ReadNumber(ref r, name)),
        (Missing, static (ref r, name, e) => e.Missing = ReadList(ref r, name, ReadRange)),
        (Lost, static (ref r, name, e) => e.Lost = ReadList(ref r, name, ReadRange)),
        (NewestEventTs, static (ref r, name, e) => e.NewestEventTs = ReadTime(ref r, name)),
        (DeviceFrontier, static (ref r, name, e) => e.DeviceFrontier = ReadTime(ref r, name)),
        (Boots, static (ref r, name, e) => e.Boots = ReadList(ref r, name, ReadString)),
    ];

    // Reused by every entry; one encoding at a time (the tracker's checkpoint lock).
    private readonly ArrayBufferWriter<byte> _entry = new(1024);
    private readonly Utf8JsonWriter _writer = new(Stream.Null);

    private delegate void ReadProperty(ref Utf8JsonReader r, JsonEncodedText name, EntryFields e);

    private delegate T ReadValue<T>(ref Utf8JsonReader r, JsonEncodedText name);

    /// <summary>One bed's entry of the file.</summary>
    public byte[] Encode(string facility, string bed, BedDelivery d)
    {
        _entry.ResetWrittenCount();
        _writer.Reset(_entry);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString(Facility, facility);
        w.WriteString(Bed, bed);
        w.WriteNumber(LastSequence, d.LastSequence);
        w.WriteNumber(Received, d.Received);
        w.WriteNumber(Duplicates, d.Duplicates);
        w.WriteNumber(Late, d.Late);
        w.WriteNumber(Resets, d.Resets);
        WriteRanges(w, Missing, d.MissingRanges);
        WriteRanges(w, Lost, d.LostRanges);
        WriteTime(w, NewestEventTs, d.NewestEventTs);
        WriteTime(w, DeviceFrontier, d.DeviceFrontier);
        w.WriteStartArray(Boots);
        foreach (var boot in d.Boots)
        {
            w.WriteStringValue(boot);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return _entry.WrittenSpan.ToArray();
    }

    /// <summary>The file: the entries as one JSON array.</summary>
    public static void Join(IBufferWriter<byte> file, IReadOnlyList<byte[]> entries)
    {
        file.Write("["u8);
        for (var i = 0; i < entries.Count; i++)
        {
            if (i > 0)
            {
                file.Write(","u8);
            }

            file.Write(entries[i]);
        }

        file.Write("]"u8);
    }

    /// <summary>Reads a whole file back.</summary>
    /// <exception cref="JsonException">The file is not a checkpoint (malformed JSON, a wrong type, an entry without facility or bed).</exception>
    public static List<BedDeliveryState> Decode(ReadOnlySpan<byte> file)
    {
        var r = new Utf8JsonReader(file);
        Next(ref r);
        Is(ref r, JsonTokenType.StartArray, "the file");
        var beds = new List<BedDeliveryState>();
        while (Next(ref r) != JsonTokenType.EndArray)
        {
            Is(ref r, JsonTokenType.StartObject, "a bed's entry");
            beds.Add(ReadEntry(ref r));
        }

        // The reader itself throws on anything but white space after the array.
        r.Read();
        return beds;
    }

    private static BedDeliveryState ReadEntry(ref Utf8JsonReader r)
    {
        var e = new EntryFields();
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            var known = false;
            foreach (var (name, read) in EntryProperties)
            {
                if (r.ValueTextEquals(name.EncodedUtf8Bytes))
                {
                    Next(ref r);
                    read(ref r, name, e);
                    known = true;
                    break;
                }
            }

            if (!known)
            {
                r.Skip();
            }
        }

        if (e.Facility is null || e.Bed is null)
        {
            throw new JsonException($"a bed's entry without facility or bed (ending at byte {r.TokenStartIndex})");
        }

        return new BedDeliveryState(
            e.Facility, e.Bed, e.LastSequence, e.Received, e.Duplicates, e.Late, e.Resets, e.Missing, e.Lost, e.NewestEventTs, e.DeviceFrontier, e.Boots);
    }

    // Each reader starts on its value's first token and ends on its last.
    private static string ReadString(ref Utf8JsonReader r, JsonEncodedText name)
    {
        Is(ref r, JsonTokenType.String, name.ToString());
        return r.GetString()!;
    }

    private static long ReadNumber(ref Utf8JsonReader r, JsonEncodedText name)
    {
        Is(ref r, JsonTokenType.Number, name.ToString());
        return r.TryGetInt64(out var value) ? value : throw Invalid(ref r, name.ToString(), "a whole number");
    }

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader r, JsonEncodedText name)
    {
        if (r.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Is(ref r, JsonTokenType.String, name.ToString());
        return r.TryGetDateTimeOffset(out var value) ? value : throw Invalid(ref r, name.ToString(), "a time (ISO 8601)");
    }

    /// <summary>An array (null: empty), each item read by <paramref name="item"/>.</summary>
    private static List<T> ReadList<T>(ref Utf8JsonReader r, JsonEncodedText name, ReadValue<T> item)
    {
        var items = new List<T>();
        if (r.TokenType == JsonTokenType.Null)
        {
            return items;
        }

        Is(ref r, JsonTokenType.StartArray, name.ToString());
        while (Next(ref r) != JsonTokenType.EndArray)
        {
            items.Add(item(ref r, name));
        }

        return items;
    }

    private static SequenceRange ReadRange(ref Utf8JsonReader r, JsonEncodedText name)
    {
        Is(ref r, JsonTokenType.StartObject, name.ToString());
        long? from = null, to = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals(From.EncodedUtf8Bytes))
            {
                Next(ref r);
                from = ReadNumber(ref r, From);
            }
            else if (r.ValueTextEquals(To.EncodedUtf8Bytes))
            {
                Next(ref r);
                to = ReadNumber(ref r, To);
            }
            else
            {
                r.Skip();
            }
        }

        return from is { } f && to is { } t ? new SequenceRange(f, t) : throw Invalid(ref r, name.ToString(), "ranges with from and to");
    }

    private static void WriteRanges(Utf8JsonWriter w, JsonEncodedText name, IReadOnlyList<(long From, long To)> ranges)
    {
        w.WriteStartArray(name);
        for (var i = 0; i < ranges.Count; i++)
        {
            var (from, to) = ranges[i];
            w.WriteStartObject();
            w.WriteNumber(From, from);
            w.WriteNumber(To, to);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteTime(Utf8JsonWriter w, JsonEncodedText name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>The next token (the reader throws at the end of the input before the end of the array).</summary>
    private static JsonTokenType Next(ref Utf8JsonReader r) =>
        r.Read() ? r.TokenType : throw new JsonException($"the file ends early (at byte {r.BytesConsumed})");

    private static void Is(ref Utf8JsonReader r, JsonTokenType type, string what)
    {
        if (r.TokenType != type)
        {
            throw Invalid(ref r, what, $"{type} (found {r.TokenType})");
        }
    }

    private static JsonException Invalid(ref Utf8JsonReader r, string what, string expected) =>
        new($"{what} must be {expected} (at byte {r.TokenStartIndex})");

    /// <summary>A bed's entry while it is read.</summary>
    private sealed class EntryFields
    {
        public string? Facility { get; set; }

        public string? Bed { get; set; }

        public long LastSequence { get; set; }

        public long Received { get; set; }

        public long Duplicates { get; set; }

        public long Late { get; set; }

        public long Resets { get; set; }

        public List<SequenceRange> Missing { get; set; } = [];

        public List<SequenceRange> Lost { get; set; } = [];

        public DateTimeOffset? NewestEventTs { get; set; }

        public DateTimeOffset? DeviceFrontier { get; set; }

        public List<string> Boots { get; set; } = [];
    }
}

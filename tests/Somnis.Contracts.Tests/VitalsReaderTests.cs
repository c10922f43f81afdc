using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Somnis.Contracts.Tests;

/// <summary>
/// The fast vitals reader must never change what is accepted or why something is rejected: on every payload it takes,
/// it must read what the source-generated deserializer reads, and <see cref="MessageValidator.ParseVitals"/> must give
/// the same verdict as the general path, on edge-shaped payloads and on thousands of mutations of them.
/// </summary>
public sealed class VitalsReaderTests
{
    private const string TopicBed = "bed-0042";

    [Fact]
    public void Payloads_as_edges_write_them_take_the_fast_path_and_read_the_same_message()
    {
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var json = Edge(random);

            Assert.True(VitalsReader.TryRead(json, TopicBed, out var fast), Encoding.UTF8.GetString(json));
            Assert.Equal(General(json), fast);
            // The topic's bed string is reused, not allocated again.
            Assert.Same(TopicBed, fast.Bed);
        }
    }

    [Fact]
    public void Mutated_payloads_get_the_same_verdict_as_the_general_path()
    {
        var random = new Random(11);
        int taken = 0, declined = 0;
        foreach (var json in Mutations(random))
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            Compare(bytes, ref taken, ref declined);
        }

        // Both branches were exercised: the mutations are not all declined, nor all taken.
        Assert.True(taken > 100, $"taken {taken}");
        Assert.True(declined > 1_000, $"declined {declined}");
    }

    [Fact]
    public void Byte_level_damage_gets_the_same_verdict_as_the_general_path()
    {
        var random = new Random(13);
        int taken = 0, declined = 0;
        for (var i = 0; i < 60; i++)
        {
            var json = Edge(random);
            for (var cut = 0; cut <= json.Length; cut++)
            {
                Compare(json[..cut], ref taken, ref declined);
            }

            for (var k = 0; k < 40; k++)
            {
                var damaged = (byte[])json.Clone();
                damaged[random.Next(damaged.Length)] = Damage[random.Next(Damage.Length)];
                Compare(damaged, ref taken, ref declined);
            }
        }

        Assert.True(declined > 1_000, $"declined {declined}");
    }

    [Fact]
    public void Invalid_utf8_in_the_bed_is_declined_not_thrown()
    {
        var json = Encoding.UTF8.GetString(Edge(new Random(1))).Replace(TopicBed, "bed-X", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3;
        var patched = bytes.ToList();
        patched.Insert(at + 1, 0x28);
        bytes = [.. patched];

        var caught = Record.Exception(() => VitalsReader.TryRead(bytes, TopicBed, out _));

        Assert.Null(caught);
        var parsed = MessageValidator.ParseVitals(new ReadOnlySequence<byte>(bytes), TopicBed);
        Assert.False(parsed.Ok);
    }

    // JSON's structural characters, digits and number parts, literal initials, and a byte that starts a UTF-8 sequence.
    private static readonly byte[] Damage = [.. "{}[],:\"\\ 0.-eE+ntfx"u8, 0xC3];

    private static void Compare(byte[] json, ref int taken, ref int declined)
    {
        var text = Encoding.UTF8.GetString(json);
        if (VitalsReader.TryRead(json, TopicBed, out var fast))
        {
            taken++;
            VitalsMessage? general = null;
            var ex = Record.Exception(() => general = General(json));
            Assert.True(ex is null, $"fast path took what the deserializer refuses ({ex?.Message}): {text}");
            Assert.True(Equals(general, fast), $"fast path read differently: {text}");
        }
        else
        {
            declined++;
        }

        var payload = new ReadOnlySequence<byte>(json);
        var viaParse = MessageValidator.ParseVitals(payload, TopicBed);
        var viaGeneral = MessageValidator.ParseVitalsGeneral(payload, TopicBed);
        Assert.True(
            Equals(viaParse.Message, viaGeneral.Message) && viaParse.Reason == viaGeneral.Reason && viaParse.Detail == viaGeneral.Detail,
            $"verdicts differ ({viaParse.Reason} {viaParse.Detail} vs {viaGeneral.Reason} {viaGeneral.Detail}): {text}");
    }

    private static VitalsMessage? General(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonSerializer.Deserialize(ref reader, SomnisJsonContext.Default.VitalsMessage);
    }

    private static byte[] Edge(Random random)
    {
        double? Maybe(double value) => random.Next(5) == 0 ? null : value;
        var message = new VitalsMessage
        {
            Bed = TopicBed,
            Seq = random.NextInt64(0, long.MaxValue / (random.Next(2) == 0 ? 1 : 1_000_000)),
            Ts = new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay)),
            IntervalSeconds = random.Next(2) == 0 ? 10 : 1 + (59 * random.NextDouble()),
            HeartRate = Maybe(20 + (230 * random.NextDouble())),
            RespirationRate = Maybe(3 + (57 * random.NextDouble())),
            ActivityCount = Maybe(random.Next(3) == 0 ? 0 : 10_000 * random.NextDouble()),
            SkinTemperature = Maybe(15 + (30 * random.NextDouble())),
            RoomTemperature = Maybe(45 * random.NextDouble()),
            BedPresence = random.Next(4) switch { 0 => null, 1 => false, _ => true },
            SignalQuality = random.NextDouble(),
            ArchitectStimulating = random.Next(2) == 0,
            InterlockEngaged = random.Next(2) == 0,
        };
        return JsonSerializer.SerializeToUtf8Bytes(message, SomnisJsonContext.Default.VitalsMessage);
    }

    private static readonly string[] Fields =
    [
        "v", "bed", "seq", "ts", "intervalSeconds", "heartRate", "respirationRate", "activityCount", "skinTemperature",
        "roomTemperature", "bedPresence", "signalQuality", "architectStimulating", "interlockEngaged",
    ];

    private static readonly string[] Values =
    [
        "null", "0", "1", "-1", "1.0", "1e1", "-0", "0.5", "2147483648", "9223372036854775808", "1e400", "-1e400", "1e-400",
        "\"1\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "true", "false", "{}", "[]", "[1]", "{\"a\":1}", "\"\"",
        "\"bed-0042\"", "\"bed\\u002d0042\"", "\"BED-0042\"", "\"bed-0043\"", "\"2026-03-01T23:00:00Z\"",
        "\"2026-03-01T23:00:00+02:00\"", "\"2026-03-01\"", "\"2026-03-01T23:00:00.1234567Z\"", "\"\\u0032026-03-01T23:00:00Z\"",
        "\"not a date\"", "\"0001-01-01T00:00:00+00:00\"", "58", "250.0000001", "14", "10000", "0.999", "60", "61",
    ];

    private static IEnumerable<string> Mutations(Random random)
    {
        for (var round = 0; round < 40; round++)
        {
            var baseline = Encoding.UTF8.GetString(Edge(random));
            yield return baseline;
            var present = JsonNode.Parse(baseline)!.AsObject().Select(p => p.Key).ToArray();

            foreach (var field in Fields)
            {
                // Removed, renamed, duplicated; every value kind in every field.
                yield return With(baseline, o => o.Remove(field));
                yield return With(baseline, o => Rename(o, field, char.ToUpperInvariant(field[0]) + field[1..]));
                yield return With(baseline, o => Rename(o, field, field.ToUpperInvariant()));
                foreach (var value in Values)
                {
                    yield return Set(baseline, field, value);
                }

                yield return baseline.Insert(1, $"\"{field}\":{Values[random.Next(Values.Length)]},");
                yield return baseline.Insert(1, $"\"{EscapeAll(field)}\":{Values[random.Next(Values.Length)]},");
            }

            yield return baseline.Insert(1, "\"unknown\":1,");
            yield return baseline.Insert(1, "\"unknown\":{\"seq\":[1,2,{}]},");
            yield return With(baseline, o =>
            {
                var pairs = o.Select(p => (p.Key, p.Value?.DeepClone())).Reverse().ToList();
                o.Clear();
                foreach (var (k, v) in pairs)
                {
                    o[k] = v;
                }
            });
            yield return baseline.Replace(",", " ,\n\t ", StringComparison.Ordinal);
            yield return " " + baseline + " ";
            yield return baseline + " x";
            yield return baseline + "}";
            yield return baseline + ",{}";
            yield return baseline + baseline;
            yield return baseline[..^1] + ",}";
            yield return baseline[..^1] + "/* c */}";
            yield return "[" + baseline + "]";
            yield return "null";
            yield return "\"" + baseline.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
            yield return baseline.Replace(present[random.Next(present.Length)], EscapeAll(present[random.Next(present.Length)]), StringComparison.Ordinal);
        }
    }

    private static string EscapeAll(string name) => string.Concat(name.Select(c => $"\\u{(int)c:x4}"));

    private static string With(string json, Action<JsonObject> change)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    private static void Rename(JsonObject o, string from, string to)
    {
        if (o[from] is { } value)
        {
            o.Remove(from);
            o[to] = value.DeepClone();
        }
    }

    // String-level, so that values JsonNode cannot hold (1e400, 9223372036854775808, "\u0032…") stay verbatim.
    private static string Set(string json, string field, string value)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o[field] = "\u0001";
        return o.ToJsonString().Replace("\"\\u0001\"", value, StringComparison.Ordinal);
    }
}

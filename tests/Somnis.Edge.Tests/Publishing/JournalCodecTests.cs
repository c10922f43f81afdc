using System.Text;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class JournalCodecTests
{
    private static List<JournalEntry> DecodeAll(byte[] data)
    {
        var entries = new List<JournalEntry>();
        for (var pos = 0; pos < data.Length && JournalCodec.TryDecode(data, pos, out var e, out var size); pos += size)
        {
            entries.Add(e);
        }

        return entries;
    }

    private static JournalEntry Entry(RecordKind kind, long index, long seq, string payload) => new()
    {
        Kind = kind,
        Index = index,
        Seq = seq,
        EventTs = Fixtures.Start.AddSeconds(10 * seq),
        AppendedAt = Fixtures.Start.AddMilliseconds(100 * index),
        Payload = Encoding.UTF8.GetBytes(payload),
    };

    [Fact]
    public void Reads_a_segment_built_from_the_documented_layout()
    {
        var entries = DecodeAll(Fixtures.Segment("intact.seg"));

        Assert.Equal([RecordKind.Vitals, RecordKind.Vitals, RecordKind.Architect, RecordKind.Gap], entries.Select(e => e.Kind));
        Assert.Equal([1L, 2L, 3L, 4L], entries.Select(e => e.Index));
        Assert.Equal([1L, 2L, 3L, 0L], entries.Select(e => e.Seq));
        Assert.Equal(Fixtures.Start.AddSeconds(20), entries[1].EventTs);
        Assert.Equal(Fixtures.Start.AddMilliseconds(200), entries[1].AppendedAt);
        Assert.Equal("""{"v":1,"bed":"bed-01","seq":2}""", Encoding.UTF8.GetString(entries[1].Payload.Span));
        Assert.Equal([true, true, true, false], entries.Select(e => e.IsData));
    }

    [Fact]
    public void Encoding_what_it_read_gives_the_same_bytes()
    {
        var fixture = Fixtures.Segment("intact.seg");
        Assert.Equal(fixture, DecodeAll(fixture).SelectMany(JournalCodec.Encode));
    }

    [Theory]
    [InlineData(1, 7, 41, """{"v":1,"seq":41}""")]
    [InlineData(2, 8, 42, """{"v":1,"kind":"stimulation"}""")]
    [InlineData(3, 9, 0, """{"fromSeq":1,"toSeq":2}""")]
    [InlineData(1, long.MaxValue, long.MaxValue, "")]
    public void A_record_round_trips_and_its_size_is_header_plus_fixed_body_plus_payload(byte kind, long index, long seq, string payload)
    {
        var entry = Entry((RecordKind)kind, index, seq, payload);
        var record = JournalCodec.Encode(entry);

        Assert.Equal(JournalCodec.SizeOf(entry.Payload.Length), record.Length);
        Assert.True(JournalCodec.TryDecode(record, 0, out var back, out var size));
        Assert.Equal(record.Length, size);
        Assert.Equal((entry.Kind, entry.Index, entry.Seq, entry.EventTs, entry.AppendedAt), (back.Kind, back.Index, back.Seq, back.EventTs, back.AppendedAt));
        Assert.Equal(entry.Payload.ToArray(), back.Payload.ToArray());
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(4, "length")]
    [InlineData(8, "checksum")]
    [InlineData(12, "kind (covered by the checksum)")]
    [InlineData(50, "payload (covered by the checksum)")]
    public void A_damaged_byte_anywhere_makes_the_record_unreadable(int offset, string what)
    {
        var record = JournalCodec.Encode(Entry(RecordKind.Vitals, 1, 1, """{"v":1,"bed":"bed-01","seq":1}"""));
        record[offset] ^= 0x40;
        Assert.False(JournalCodec.TryDecode(record, 0, out _, out _), what);
    }

    [Fact]
    public void A_torn_record_is_unreadable_at_every_length_short_of_whole()
    {
        var record = JournalCodec.Encode(Entry(RecordKind.Vitals, 1, 1, """{"v":1}"""));
        for (var length = 0; length < record.Length; length++)
        {
            Assert.False(JournalCodec.TryDecode(record.AsSpan(0, length), 0, out _, out _), $"{length} of {record.Length} bytes");
        }
    }

    [Fact]
    public void A_record_of_an_unknown_kind_is_rejected_even_with_a_valid_checksum()
    {
        var record = JournalCodec.Encode(Entry((RecordKind)4, 1, 1, "{}"));
        Assert.False(JournalCodec.TryDecode(record, 0, out _, out _));
    }

    [Fact]
    public void Records_are_found_at_any_offset()
    {
        var record = JournalCodec.Encode(Entry(RecordKind.Vitals, 5, 5, "{}"));
        var data = new byte[3].Concat(record).ToArray();
        Assert.False(JournalCodec.TryDecode(data, 0, out _, out _));
        Assert.True(JournalCodec.TryDecode(data, 3, out var e, out _));
        Assert.Equal(5, e.Seq);
    }
}

using System.Buffers.Binary;
using System.IO.Hashing;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// The journal's record format. Layout (little-endian): magic <c>SSJL</c> (u32), body length (i32), CRC-32 of the
/// body (u32); body: kind (u8), journal index (i64), sequence (i64), event time (i64 Unix ms), appended-at (i64 Unix
/// ms), payload (the JSON as sent). A reader finds the next record after a damaged region by its magic and checksum.
/// </summary>
internal static class JournalCodec
{
    public const int HeaderBytes = 12;
    public const int BodyFixedBytes = 33;
    private const uint Magic = 0x4C4A5353; // "SSJL" as little-endian bytes
    private const int MaxBodyBytes = BodyFixedBytes + (4 * Protocol.MaxPayloadBytes);

    /// <summary>Bytes a record with a payload of <paramref name="payloadBytes"/> takes.</summary>
    public static int SizeOf(int payloadBytes) => HeaderBytes + BodyFixedBytes + payloadBytes;

    public static byte[] Encode(JournalEntry e)
    {
        var record = new byte[SizeOf(e.Payload.Length)];
        var body = record.AsSpan(HeaderBytes);
        body[0] = (byte)e.Kind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], e.Index);
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], e.Seq);
        BinaryPrimitives.WriteInt64LittleEndian(body[17..], e.EventTs.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(body[25..], e.AppendedAt.ToUnixTimeMilliseconds());
        e.Payload.Span.CopyTo(body[BodyFixedBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32.HashToUInt32(body));
        return record;
    }

    /// <summary>Reads one record at <paramref name="pos"/>; false when it is torn, corrupted or not a record at all.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, int pos, out JournalEntry entry, out int size)
    {
        entry = null!;
        size = 0;
        if (data.Length - pos < HeaderBytes + BodyFixedBytes || BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]) != Magic)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[(pos + 4)..]);
        if (length < BodyFixedBytes || length > MaxBodyBytes || data.Length - pos - HeaderBytes < length)
        {
            return false;
        }

        var body = data.Slice(pos + HeaderBytes, length);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 8)..]) || body[0] is < 1 or > 3)
        {
            return false;
        }

        entry = new JournalEntry
        {
            Kind = (RecordKind)body[0],
            Index = BinaryPrimitives.ReadInt64LittleEndian(body[1..]),
            Seq = BinaryPrimitives.ReadInt64LittleEndian(body[9..]),
            EventTs = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(body[17..])),
            AppendedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(body[25..])),
            Payload = body[BodyFixedBytes..].ToArray(),
        };
        size = HeaderBytes + length;
        return true;
    }
}

namespace Somnis.Edge.Sensors;

/// <summary>SMBus packet error code: CRC-8, polynomial x⁸+x²+x+1 (0x07), initial value 0.</summary>
internal static class Pec
{
    public static byte Crc8(ReadOnlySpan<byte> data)
    {
        byte crc = 0;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x80) != 0 ? (byte)((crc << 1) ^ 0x07) : (byte)(crc << 1);
            }
        }

        return crc;
    }
}

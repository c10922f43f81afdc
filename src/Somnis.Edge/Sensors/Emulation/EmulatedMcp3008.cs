using System.Device.Spi;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// MCP3008 10-bit SPI ADC (Microchip DS21295): the host clocks a start bit, SGL/DIFF and D2..D0; the chip answers
/// with a null bit (0) and B9..B0 on the following clocks. Channel 0 is the piezo film amplifier; V_REF = 3.3 V.
/// </summary>
internal sealed class EmulatedMcp3008(EmulatedBed bed, SpiConnectionSettings settings) : SpiDevice
{
    public const string Chip = "mcp3008";
    public const double ReferenceVolts = 3.3;

    public override SpiConnectionSettings ConnectionSettings { get; } = settings;

    public override byte ReadByte() => throw new NotSupportedException("the MCP3008 answers only during a full-duplex transfer");

    public override void Read(Span<byte> buffer) => throw new NotSupportedException("the MCP3008 answers only during a full-duplex transfer");

    public override void WriteByte(byte value)
    {
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
    }

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        var fault = bed.FaultOf(Chip);
        if (fault == ChipFault.Nack)
        {
            throw new IOException("SPI transfer failed: no MISO activity");
        }

        readBuffer.Clear();
        var bits = writeBuffer.Length * 8;
        var start = -1;
        for (var i = 0; i < bits; i++)
        {
            if (Bit(writeBuffer, i))
            {
                start = i;
                break;
            }
        }

        if (start < 0 || start + 4 >= bits)
        {
            return;
        }

        var channel = (Bit(writeBuffer, start + 2) ? 4 : 0) | (Bit(writeBuffer, start + 3) ? 2 : 0) | (Bit(writeBuffer, start + 4) ? 1 : 0);
        var volts = channel != 0 ? 0 : fault switch
        {
            ChipFault.FlatLine => bed.FlatLineVolts(),
            ChipFault.OutOfRange => ReferenceVolts,
            _ => bed.BcgVolts(),
        };
        var code = (int)Math.Clamp(Math.Round(volts / ReferenceVolts * 1024), 0, 1023);

        // Null bit at start + 6 stays 0; B9..B0 follow.
        for (var b = 0; b < 10; b++)
        {
            var position = start + 7 + b;
            if (position < bits && ((code >> (9 - b)) & 1) != 0)
            {
                readBuffer[position / 8] |= (byte)(0x80 >> (position % 8));
            }
        }
    }

    private static bool Bit(ReadOnlySpan<byte> buffer, int index) => (buffer[index / 8] & (0x80 >> (index % 8))) != 0;
}

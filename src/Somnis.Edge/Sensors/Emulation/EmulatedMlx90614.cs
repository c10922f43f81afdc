using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// MLX90614 infrared thermometer (Melexis datasheet rev. 13, SMBus): RAM 0x06 Ta, 0x07 Tobj1, little-endian,
/// 0.02 K per LSB, followed by a PEC byte (CRC-8, polynomial 0x07, over address+W, command, address+R and data).
/// <see cref="CorruptNextRead"/> garbles exactly one transfer, as a glitch on the bus would.
/// </summary>
internal sealed class EmulatedMlx90614(EmulatedBed bed, I2cConnectionSettings settings) : EmulatedI2cDevice(bed, "mlx90614", settings)
{
    public const string Chip = "mlx90614";

    /// <summary>The bit <see cref="CorruptNextRead"/> flips in the data's high byte: 5.12 K, visible in any reading.</summary>
    private const byte CorruptedBit = 0x01;

    private bool _corruptNext;

    private enum Register : byte
    {
        AmbientTemperature = 0x06,
        ObjectTemperature1 = 0x07,
    }

    /// <summary>
    /// The next read of a temperature word (only that one) carries a bit flipped in its data after the chip computed
    /// the PEC, so that read's PEC does not match its value; the read after it is clean again.
    /// </summary>
    public void CorruptNextRead() => _corruptNext = true;

    protected override void Refresh(byte start, int count)
    {
        if (start is not ((byte)Register.AmbientTemperature or (byte)Register.ObjectTemperature1))
        {
            return;
        }

        var celsius = start == (byte)Register.ObjectTemperature1 ? Bed.SkinSurfaceCelsius() : Bed.Current.RoomTemperature + 1;
        var raw = Fault == ChipFault.OutOfRange ? 0x7FFF : (int)Math.Round((celsius + 273.15) / 0.02);
        Registers[start] = (byte)raw;
        Registers[(byte)(start + 1)] = (byte)(raw >> 8);
        Span<byte> frame = [(byte)(ConnectionSettings.DeviceAddress << 1), start, (byte)((ConnectionSettings.DeviceAddress << 1) | 1), (byte)raw, (byte)(raw >> 8)];
        var pec = Pec.Crc8(frame);
        Registers[(byte)(start + 2)] = Fault == ChipFault.Crc ? (byte)(pec ^ 0x5A) : pec;
        if (_corruptNext)
        {
            _corruptNext = false;
            Registers[(byte)(start + 1)] ^= CorruptedBit;
        }
    }
}

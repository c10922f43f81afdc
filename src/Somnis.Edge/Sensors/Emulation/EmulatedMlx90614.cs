using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// MLX90614 infrared thermometer (Melexis datasheet rev. 13, SMBus): RAM 0x06 Ta, 0x07 Tobj1, little-endian,
/// 0.02 K per LSB, followed by a PEC byte (CRC-8, polynomial 0x07, over address+W, command, address+R and data).
/// </summary>
internal sealed class EmulatedMlx90614(EmulatedBed bed, I2cConnectionSettings settings) : EmulatedI2cDevice(bed, "mlx90614", settings)
{
    public const string Chip = "mlx90614";

    private enum Register : byte
    {
        AmbientTemperature = 0x06,
        ObjectTemperature1 = 0x07,
    }

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
    }
}

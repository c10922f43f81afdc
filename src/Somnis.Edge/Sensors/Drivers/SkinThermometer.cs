using System.Buffers.Binary;
using System.Device.I2c;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>
/// MLX90614 object temperature (hardware/mlx90614/README.md), guarded by the SMBus packet error code. The binding
/// (<c>Iot.Device.Mlx90614</c>) reads only the two data bytes and cannot check the PEC, so this adapter reads the
/// word and its PEC in one transfer, checks them, and converts that same word as the binding does (0.02 K per LSB,
/// rounded to 0.01 °C): the value returned is always the one whose PEC was checked.
/// </summary>
internal sealed class SkinThermometer(I2cDevice device) : IDisposable
{
    private const byte ObjectTemperature1 = 0x07;

    public static SkinThermometer Open(SensorOptions o, ISensorBuses buses) => new(buses.OpenI2c(o));

    /// <summary>The object temperature, °C.</summary>
    /// <exception cref="CrcException">The PEC does not match the word read with it.</exception>
    public double Read()
    {
        // The PEC covers the whole SMBus read-word transaction: address+W, command, address+R, data low, data high.
        Span<byte> frame = stackalloc byte[6];
        var address = (byte)device.ConnectionSettings.DeviceAddress;
        frame[0] = (byte)(address << 1);
        frame[1] = ObjectTemperature1;
        frame[2] = (byte)((address << 1) | 1);
        device.WriteRead([ObjectTemperature1], frame[3..]);
        if (Pec.Crc8(frame[..5]) != frame[5])
        {
            throw new CrcException("MLX90614 PEC mismatch");
        }

        return Math.Round((BinaryPrimitives.ReadInt16LittleEndian(frame[3..5]) * 0.02) - 273.15, 2);
    }

    public void Dispose() => device.Dispose();
}

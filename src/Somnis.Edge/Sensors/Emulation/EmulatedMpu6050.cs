using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// MPU-6050 accelerometer/gyroscope (InvenSense RM-MPU-6000A): WHO_AM_I 0x75 = 0x68, PWR_MGMT_1 0x6B (bit 7 resets),
/// ACCEL_CONFIG 0x1C (range bits 4..3), ACCEL_XOUT_H 0x3B… big-endian, TEMP_OUT 0x41 (°C = raw/340 + 36.53),
/// GYRO_XOUT_H 0x43. Mounted on the bed frame, z up.
/// </summary>
internal sealed class EmulatedMpu6050 : EmulatedI2cDevice
{
    public const string Chip = "mpu6050";

    public EmulatedMpu6050(EmulatedBed bed, I2cConnectionSettings settings)
        : base(bed, Chip, settings)
    {
        Reset();
    }

    private enum Register : byte
    {
        SampleRateDivider = 0x19,
        AccelConfig = 0x1C,
        AccelXHigh = 0x3B,
        TemperatureHigh = 0x41,
        GyroXHigh = 0x43,
        PowerManagement1 = 0x6B,
        WhoAmI = 0x75,
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == (byte)Register.PowerManagement1 && (value & 0x80) != 0)
        {
            Reset();
        }
    }

    protected override void Refresh(byte start, int count)
    {
        if (start > (byte)Register.GyroXHigh + 5 || start + count <= (byte)Register.AccelXHigh)
        {
            return;
        }

        var (x, y, z) = Bed.Acceleration();
        if (Fault == ChipFault.OutOfRange)
        {
            (x, y, z) = (16, 16, 16);
        }

        var lsbPerG = 16384.0 / (1 << ((Registers[(byte)Register.AccelConfig] >> 3) & 0x03));
        Put((byte)Register.AccelXHigh, x * lsbPerG);
        Put((byte)Register.AccelXHigh + 2, y * lsbPerG);
        Put((byte)Register.AccelXHigh + 4, z * lsbPerG);
        Put((byte)Register.TemperatureHigh, (Bed.Current.RoomTemperature + 4 - 36.53) * 340);
        Put((byte)Register.GyroXHigh, 0);
        Put((byte)Register.GyroXHigh + 2, 0);
        Put((byte)Register.GyroXHigh + 4, 0);
    }

    private void Put(int register, double value)
    {
        var code = (short)Math.Clamp(Math.Round(value), short.MinValue, short.MaxValue);
        Registers[register] = (byte)(code >> 8);
        Registers[register + 1] = (byte)code;
    }

    private void Reset()
    {
        Array.Clear(Registers);
        Registers[(byte)Register.PowerManagement1] = 0x40;
        Registers[(byte)Register.WhoAmI] = 0x68;
    }
}

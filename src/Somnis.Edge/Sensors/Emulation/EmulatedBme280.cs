using System.Buffers.Binary;
using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// BME280 climate sensor (Bosch BST-BME280-DS002): chip id 0xD0 = 0x60, reset 0xE0 (0xB6), calibration
/// 0x88–0xA1 and 0xE1–0xE7 (the datasheet's example trimming values; H4/H5 share the nibble-split byte 0xE5),
/// ctrl_hum 0xF2, status 0xF3, ctrl_meas 0xF4, config 0xF5, data 0xF7–0xFE (pressure and temperature 20-bit
/// big-endian left-aligned, humidity 16-bit). Raw values are found by inverting the datasheet's compensation.
/// </summary>
internal sealed class EmulatedBme280 : EmulatedI2cDevice
{
    public const string Chip = "bme280";

    // Datasheet example trimming (BMP280 §3.12 / BME280 §4.2.3) and a typical production humidity trimming.
    private const ushort T1 = 27504;
    private const short T2 = 26435;
    private const short T3 = -1000;
    private const byte H1 = 75;
    private const short H2 = 362;
    private const byte H3 = 0;
    private const short H4 = 313;
    private const short H5 = 50;
    private const sbyte H6 = 30;
    private static readonly short[] P = [unchecked((short)36477), -10685, 3024, 2855, 140, -7, 15500, -14600, 6000];

    public EmulatedBme280(EmulatedBed bed, I2cConnectionSettings settings)
        : base(bed, Chip, settings)
    {
        Reset();
    }

    private enum Register : byte
    {
        Calibration1 = 0x88,
        DigH1 = 0xA1,
        ChipId = 0xD0,
        Reset = 0xE0,
        Calibration2 = 0xE1,
        CtrlHum = 0xF2,
        Status = 0xF3,
        CtrlMeas = 0xF4,
        Config = 0xF5,
        PressureMsb = 0xF7,
        TemperatureMsb = 0xFA,
        HumidityMsb = 0xFD,
    }

    /// <summary>The datasheet's temperature compensation (double precision): raw 20-bit value to t_fine.</summary>
    public static double FineTemperature(int adc)
    {
        var var1 = ((adc / 16384.0) - (T1 / 1024.0)) * T2;
        var var2 = (adc / 131072.0) - (T1 / 8192.0);
        return var1 + (var2 * var2 * T3);
    }

    /// <summary>The datasheet's humidity compensation (double precision), %RH.</summary>
    public static double Humidity(int adc, int tFine)
    {
        double h = tFine - 76800.0;
        h = (adc - ((H4 * 64.0) + (H5 / 16384.0 * h))) * (H2 / 65536.0 * (1.0 + (H6 / 67108864.0 * h * (1.0 + (H3 / 67108864.0 * h)))));
        return h * (1.0 - (H1 * h / 524288.0));
    }

    protected override void OnWrite(byte register, byte value)
    {
        if (register == (byte)Register.Reset && value == 0xB6)
        {
            Reset();
        }
    }

    protected override void Refresh(byte start, int count)
    {
        if (start + count <= (byte)Register.PressureMsb)
        {
            return;
        }

        var celsius = Bed.RoomCelsius();
        var adcT = Fault == ChipFault.OutOfRange ? 0xFFFFF : Solve(a => FineTemperature(a) / 5120.0, celsius, 0, 0xFFFFF);
        var tFine = (int)FineTemperature(adcT);
        var adcH = Solve(a => Humidity(a, tFine), Bed.RoomHumidity(), 0, 0xFFFF);
        Put20((byte)Register.PressureMsb, 415148);
        Put20((byte)Register.TemperatureMsb, adcT);
        Registers[(byte)Register.HumidityMsb] = (byte)(adcH >> 8);
        Registers[(byte)Register.HumidityMsb + 1] = (byte)adcH;
        Registers[(byte)Register.Status] = 0;
    }

    // Bisection on a monotonic compensation formula: the raw value whose compensated value is closest to the target.
    private static int Solve(Func<int, double> compensate, double target, int low, int high)
    {
        while (high - low > 1)
        {
            var mid = (low + high) / 2;
            if (compensate(mid) < target)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return Math.Abs(compensate(low) - target) <= Math.Abs(compensate(high) - target) ? low : high;
    }

    private void Put20(byte register, int value)
    {
        Registers[register] = (byte)(value >> 12);
        Registers[register + 1] = (byte)(value >> 4);
        Registers[register + 2] = (byte)((value & 0x0F) << 4);
    }

    private void Reset()
    {
        Array.Clear(Registers);
        Registers[(byte)Register.ChipId] = 0x60;
        var cal = Registers.AsSpan((byte)Register.Calibration1);
        BinaryPrimitives.WriteUInt16LittleEndian(cal, T1);
        BinaryPrimitives.WriteInt16LittleEndian(cal[2..], T2);
        BinaryPrimitives.WriteInt16LittleEndian(cal[4..], T3);
        for (var i = 0; i < P.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(cal[(6 + (2 * i))..], P[i]);
        }

        Registers[(byte)Register.DigH1] = H1;
        var cal2 = Registers.AsSpan((byte)Register.Calibration2);
        BinaryPrimitives.WriteInt16LittleEndian(cal2, H2);
        cal2[2] = H3;
        cal2[3] = (byte)(H4 >> 4);
        cal2[4] = (byte)((H4 & 0x0F) | ((H5 & 0x0F) << 4));
        cal2[5] = (byte)(H5 >> 4);
        cal2[6] = unchecked((byte)H6);
    }
}

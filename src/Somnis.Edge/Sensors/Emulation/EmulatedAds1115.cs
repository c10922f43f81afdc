using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// ADS1115 16-bit ADC (TI SBAS444): 16-bit registers behind a pointer byte, MSB first, no auto-increment:
/// conversion 0x00 (two's complement), config 0x01 whose bit 15 (OS) reads 1 when no conversion is running,
/// thresholds 0x02/0x03. AIN0 is wired to the piezo film amplifier; conversions complete instantly, so the
/// driver's OS polling never times out.
/// </summary>
internal sealed class EmulatedAds1115 : EmulatedI2cDevice
{
    public const string Chip = "ads1115";

    private static readonly double[] FullScale = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];

    public EmulatedAds1115(EmulatedBed bed, I2cConnectionSettings settings)
        : base(bed, Chip, settings)
    {
        // Power-on defaults: config 0x8583 (single-shot, ±2.048 V, 128 SPS, comparator off), thresholds 0x8000/0x7FFF.
        Put(Register.Config, 0x8583);
        Put(Register.LowThreshold, 0x8000);
        Put(Register.HighThreshold, 0x7FFF);
    }

    private enum Register : byte
    {
        Conversion = 0x00,
        Config = 0x01,
        LowThreshold = 0x02,
        HighThreshold = 0x03,
    }

    protected override int RegisterWidth => 2;

    protected override void Refresh(byte start, int count)
    {
        if (start == (byte)Register.Config)
        {
            Registers[2 * (int)Register.Config] |= 0x80;
            return;
        }

        if (start != (byte)Register.Conversion)
        {
            return;
        }

        var pga = (Registers[2 * (int)Register.Config] >> 1) & 0x07;
        var volts = Fault switch
        {
            ChipFault.FlatLine => Bed.FlatLineVolts(),
            ChipFault.OutOfRange => FullScale[pga],
            _ => Bed.BcgVolts(),
        };
        Put(Register.Conversion, (int)Math.Clamp(Math.Round(volts / FullScale[pga] * 32768), short.MinValue, short.MaxValue));
    }

    private void Put(Register register, int value)
    {
        Registers[2 * (int)register] = (byte)(value >> 8);
        Registers[(2 * (int)register) + 1] = (byte)value;
    }
}

using Iot.Device.Ads1115;
using Iot.Device.Adc;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>The piezo film's ADC: an ADS1115 (I²C, continuous mode, 128 SPS) or an MCP3008 (SPI), read in volts.</summary>
internal sealed class BcgAdc : IDisposable
{
    private readonly IDisposable _driver;
    private readonly Func<double> _read;

    private BcgAdc(IDisposable driver, Func<double> read)
    {
        _driver = driver;
        _read = read;
    }

    /// <summary>Opens the ADC that <paramref name="o"/> names on <paramref name="buses"/>.</summary>
    public static BcgAdc Open(SensorOptions o, ISensorBuses buses)
    {
        var channel = o.Channel ?? 0;
        if (string.Equals(o.Chip, EmulatedMcp3008.Chip, StringComparison.OrdinalIgnoreCase))
        {
            var mcp = new Mcp3008(buses.OpenSpi(EmulatedMcp3008.Chip, o.Bus ?? 0, o.ChipSelect ?? 0));
            return new BcgAdc(mcp, () => mcp.Read(channel) * EmulatedMcp3008.ReferenceVolts / 1024.0);
        }

        var mux = channel switch
        {
            1 => InputMultiplexer.AIN1,
            2 => InputMultiplexer.AIN2,
            3 => InputMultiplexer.AIN3,
            _ => InputMultiplexer.AIN0,
        };
        var ads = new Ads1115(buses.OpenI2c(o), mux, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.Continuous);
        return new BcgAdc(ads, () => ads.RawToVoltage(ads.ReadRaw()).Volts);
    }

    /// <summary>The film's voltage at the ADC input now, volts.</summary>
    public double Read() => _read();

    public void Dispose() => _driver.Dispose();
}

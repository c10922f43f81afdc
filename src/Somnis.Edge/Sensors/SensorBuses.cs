using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Sensors;

/// <summary>Paces the sampling: waits for real time on a Pi, moves emulated time in CI.</summary>
internal interface ISampleClock
{
    /// <summary>True when time is emulated (sampling runs as fast as the drivers allow).</summary>
    bool Emulated { get; }

    /// <summary>Returns when it is <paramref name="seconds"/> after the start of sampling.</summary>
    void WaitUntil(double seconds);
}

/// <summary>
/// Where the drivers' buses come from: the Pi's <c>/dev/i2c-N</c>, <c>/dev/spidevB.C</c> and <c>/dev/gpiochip0</c>,
/// or the emulated chips. This is the only seam between hardware and CI; the drivers above it are the same.
/// </summary>
internal interface ISensorBuses
{
    ISampleClock Clock { get; }

    I2cDevice OpenI2c(string chip, int bus, int address);

    SpiDevice OpenSpi(string chip, int bus, int chipSelect);

    GpioController OpenGpio();
}

internal static class SensorBusesExtensions
{
    /// <summary>Opens the I²C device a sensor's options name (chip, bus, address).</summary>
    public static I2cDevice OpenI2c(this ISensorBuses buses, SensorOptions o)
    {
        SensorsOptionsValidator.TryParseAddress(o.Address, out var address);
        return buses.OpenI2c(o.Chip!.ToLowerInvariant(), o.Bus ?? 1, address);
    }
}

/// <summary>The Raspberry Pi's real buses.</summary>
internal sealed class RealSensorBuses(TimeProvider time) : ISensorBuses
{
    public ISampleClock Clock { get; } = new RealTimeClock(time);

    public I2cDevice OpenI2c(string chip, int bus, int address) => I2cDevice.Create(new I2cConnectionSettings(bus, address));

    public SpiDevice OpenSpi(string chip, int bus, int chipSelect) =>
        SpiDevice.Create(new SpiConnectionSettings(bus, chipSelect) { ClockFrequency = 1_000_000, Mode = SpiMode.Mode0 });

    public GpioController OpenGpio() => new();

    private sealed class RealTimeClock(TimeProvider time) : ISampleClock
    {
        private readonly long _start = time.GetTimestamp();

        public bool Emulated => false;

        public void WaitUntil(double seconds)
        {
            var wait = TimeSpan.FromSeconds(seconds) - time.GetElapsedTime(_start);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
        }
    }
}

/// <summary>The emulated chips of one <see cref="EmulatedBed"/>.</summary>
internal sealed class EmulatedSensorBuses(EmulatedBed bed, SensorsOptions options) : ISensorBuses
{
    public EmulatedBed Bed => bed;

    public ISampleClock Clock { get; } = new EmulatedClock(bed);

    public I2cDevice OpenI2c(string chip, int bus, int address)
    {
        var settings = new I2cConnectionSettings(bus, address);
        return chip switch
        {
            EmulatedAds1115.Chip => new EmulatedAds1115(bed, settings),
            EmulatedMpu6050.Chip => new EmulatedMpu6050(bed, settings),
            EmulatedMlx90614.Chip => new EmulatedMlx90614(bed, settings),
            EmulatedBme280.Chip => new EmulatedBme280(bed, settings),
            _ => throw new IOException($"no emulated I2C chip '{chip}' at 0x{address:X2}"),
        };
    }

    public SpiDevice OpenSpi(string chip, int bus, int chipSelect) => chip == EmulatedMcp3008.Chip
        ? new EmulatedMcp3008(bed, new SpiConnectionSettings(bus, chipSelect))
        : throw new IOException($"no emulated SPI chip '{chip}'");

    public GpioController OpenGpio() => new(new EmulatedGpioDriver(
        bed, options.Pir?.Pin ?? -1, options.Architect?.StimulationPin ?? -1, options.Architect?.InterlockPin ?? -1));

    private sealed class EmulatedClock(EmulatedBed bed) : ISampleClock
    {
        public bool Emulated => true;

        public void WaitUntil(double seconds) => bed.AdvanceTo(seconds);
    }
}

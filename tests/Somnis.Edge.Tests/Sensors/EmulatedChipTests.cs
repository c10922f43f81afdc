using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using Iot.Device.Ads1115;
using Iot.Device.Adc;
using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.PowerMode;
using Iot.Device.Hcsr501;
using Iot.Device.Imu;
using Iot.Device.Mlx90614;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>Each real binding driver against its emulated chip, checked with datasheet values and the bed's truth.</summary>
public sealed class EmulatedChipTests
{
    private readonly EmulatedBed _bed;

    public EmulatedChipTests()
    {
        // The sleeper lies in bed (awake) from the first second of the night.
        _bed = new EmulatedBed(new SleeperModel(Scenario.Healthy, 21), 21);
        _bed.AdvanceTo(1);
    }

    [Fact]
    public void Ads1115_driver_configures_continuous_mode_and_reads_the_film_around_its_bias()
    {
        using var adc = new Ads1115(new EmulatedAds1115(_bed, new I2cConnectionSettings(1, 0x48)), InputMultiplexer.AIN0, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.Continuous);
        var volts = new List<double>();
        for (var k = 0; k < 128; k++)
        {
            _bed.AdvanceTo(1 + (k / 128.0));
            volts.Add(adc.RawToVoltage(adc.ReadRaw()).Volts);
        }

        Assert.InRange(volts.Average(), EmulatedBed.BcgBiasVolts - 0.2, EmulatedBed.BcgBiasVolts + 0.2);
        Assert.True(volts.Max() - volts.Min() > 0.01, "the film signal should vary");
    }

    [Fact]
    public void Ads1115_conversion_register_is_big_endian_twos_complement()
    {
        var chip = new EmulatedAds1115(_bed, new I2cConnectionSettings(1, 0x48));
        _bed.Inject(EmulatedAds1115.Chip, ChipFault.OutOfRange);
        Span<byte> raw = stackalloc byte[2];
        chip.WriteRead([0x00], raw);

        // Power-on PGA is ±2.048 V: full scale reads 0x7FFF.
        Assert.Equal(0x7F, raw[0]);
        Assert.Equal(0xFF, raw[1]);
    }

    [Fact]
    public void Mcp3008_driver_reads_the_film_on_channel_0_and_the_null_bit_is_zero()
    {
        using var adc = new Mcp3008(new EmulatedMcp3008(_bed, new SpiConnectionSettings(0, 0)));
        var code = adc.Read(0);
        Assert.InRange(code * 3.3 / 1024, EmulatedBed.BcgBiasVolts - 0.2, EmulatedBed.BcgBiasVolts + 0.2);
        Assert.Equal(0, adc.Read(5));
    }

    [Fact]
    public void Mpu6050_driver_checks_who_am_i_and_reads_one_g_on_a_still_frame()
    {
        using var imu = new Mpu6050(new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x68)));
        var a = imu.GetAccelerometer();

        Assert.InRange(a.Length(), 9.6, 10.0);
        Assert.InRange(a.Z, 9.6, 10.0);
    }

    [Fact]
    public void Mlx90614_driver_reads_skin_temperature_and_the_pec_matches()
    {
        var device = new EmulatedMlx90614(_bed, new I2cConnectionSettings(1, 0x5A));
        using var thermometer = new Mlx90614(device);
        var celsius = thermometer.ReadObjectTemperature().DegreesCelsius;

        var truth = _bed.Current.InBed ? _bed.Current.SkinTemperature : _bed.Current.RoomTemperature + 0.5;
        Assert.InRange(celsius, truth - 0.2, truth + 0.2);
        Span<byte> frame = [0xB4, 0x07, 0xB5, 0, 0, 0];
        device.WriteRead([0x07], frame[3..]);
        Assert.Equal(Pec.Crc8(frame[..5]), frame[5]);
    }

    [Fact]
    public void Pec_matches_the_smbus_crc8_check_value()
    {
        // CRC-8/SMBUS check value for "123456789" is 0xF4.
        Assert.Equal(0xF4, Pec.Crc8("123456789"u8));
    }

    [Fact]
    public void Bme280_compensation_reproduces_the_datasheet_example()
    {
        // BMP280 datasheet §3.12: adc_T = 519888 with the example trimming gives 25.08 °C.
        Assert.Equal(25.08, EmulatedBme280.FineTemperature(519888) / 5120.0, 2);
    }

    [Fact]
    public void Bme280_driver_finds_chip_id_reads_calibration_and_measures_the_room()
    {
        using var climate = new Bme280(new EmulatedBme280(_bed, new I2cConnectionSettings(1, 0x76)));
        climate.SetPowerMode(Bmx280PowerMode.Normal);
        var r = climate.Read();

        Assert.NotNull(r.Temperature);
        Assert.InRange(r.Temperature.Value.DegreesCelsius, _bed.Current.RoomTemperature - 0.1, _bed.Current.RoomTemperature + 0.1);
        Assert.NotNull(r.Humidity);
        Assert.InRange(r.Humidity.Value.Percent, 40, 50);
    }

    [Fact]
    public void Bme280_driver_rejects_a_chip_with_the_wrong_id()
    {
        Assert.ThrowsAny<IOException>(() => new Bme280(new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x76))));
    }

    [Fact]
    public void Hcsr501_driver_sees_motion_only_after_strong_movement()
    {
        using var gpio = new GpioController(new EmulatedGpioDriver(_bed, 23, 24, 17));
        using var pir = new Hcsr501(23, gpio, shouldDispose: false);
        var sawMotion = false;
        var sawQuiet = false;
        for (var t = 2; t < 3600 && !(sawMotion && sawQuiet); t++)
        {
            _bed.AdvanceTo(t);
            var strong = _bed.Current.Movement >= 0.3;
            if (pir.IsMotionDetected)
            {
                sawMotion = true;
            }
            else
            {
                Assert.False(strong, "a strong movement must trigger the PIR");
                sawQuiet = true;
            }
        }

        Assert.True(sawMotion && sawQuiet);
    }

    [Fact]
    public void Nack_makes_every_transfer_throw_like_the_linux_driver()
    {
        var chip = new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x68));
        _bed.Inject(EmulatedMpu6050.Chip, ChipFault.Nack);
        Assert.Throws<IOException>(() => chip.ReadByte());
        Assert.ThrowsAny<IOException>(() => new Mpu6050(chip));
    }
}

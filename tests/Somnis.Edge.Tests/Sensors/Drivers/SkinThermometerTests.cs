using System.Device.I2c;
using Iot.Device.Mlx90614;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Drivers;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>The MLX90614 adapter alone, on the emulated chip (hardware/mlx90614/README.md).</summary>
public sealed class SkinThermometerTests
{
    private readonly EmulatedBed _bed = new(new SleeperModel(Scenario.Healthy, 21), 21);
    private readonly EmulatedMlx90614 _chip;
    private readonly SkinThermometer _thermometer;

    public SkinThermometerTests()
    {
        // The sleeper lies in bed (awake) from the first second of the night.
        _bed.AdvanceTo(1);
        _chip = new EmulatedMlx90614(_bed, new I2cConnectionSettings(1, 0x5A));
        _thermometer = new SkinThermometer(_chip);
    }

    private double Truth => _bed.Current.InBed ? _bed.Current.SkinTemperature : _bed.Current.RoomTemperature + 0.5;

    [Fact]
    public void Reads_the_skin_temperature()
    {
        Assert.InRange(_thermometer.Read(), Truth - 0.2, Truth + 0.2);
    }

    [Fact]
    public void A_corrupted_read_is_never_returned_the_pec_guards_the_value_it_came_with()
    {
        // One transfer is garbled on the bus: its value is 5.12 K off and its PEC does not match that value.
        _chip.CorruptNextRead();
        var returned = new List<double>();
        var crc = Record.Exception(() => returned.Add(_thermometer.Read()));

        Assert.True(crc is CrcException, $"the corrupted read was returned as {string.Join(", ", returned)} °C (truth {Truth:F2} °C) instead of failing its PEC check");

        // Only that transfer: the next read is clean and within the sensor's noise.
        Assert.InRange(_thermometer.Read(), Truth - 0.2, Truth + 0.2);
    }

    [Fact]
    public void A_pec_mismatch_on_every_read_throws_a_crc_exception()
    {
        _bed.Inject(EmulatedMlx90614.Chip, ChipFault.Crc);
        Assert.Throws<CrcException>(() => _thermometer.Read());
    }

    [Fact]
    public void A_chip_that_does_not_acknowledge_throws_an_io_exception_that_is_not_a_checksum_error()
    {
        _bed.Inject(EmulatedMlx90614.Chip, ChipFault.Nack);
        var ex = Assert.ThrowsAny<IOException>(() => _thermometer.Read());
        Assert.IsNotType<CrcException>(ex);
    }

    [Theory]
    [InlineData(0x3A00)]
    [InlineData(0x3B6E)]
    [InlineData(0x3C01)]
    [InlineData(0x7FFF)]
    [InlineData(0x8001)]
    public void Converts_a_word_exactly_as_the_binding_does(int raw)
    {
        // The same bytes (word + valid PEC) to both: the adapter and the binding must agree to the last digit.
        Assert.Equal(new Mlx90614(new FixedWord(raw)).ReadObjectTemperature().DegreesCelsius, new SkinThermometer(new FixedWord(raw)).Read());
    }

    /// <summary>An MLX90614 at 0x5A whose object temperature register always holds one word and its PEC.</summary>
    private sealed class FixedWord(int raw) : I2cDevice
    {
        public override I2cConnectionSettings ConnectionSettings { get; } = new(1, 0x5A);

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            Span<byte> frame = [0xB4, writeBuffer[0], 0xB5, (byte)raw, (byte)(raw >> 8)];
            Span<byte> reply = [frame[3], frame[4], Pec.Crc8(frame)];
            reply[..readBuffer.Length].CopyTo(readBuffer);
        }

        public override byte ReadByte() => throw new NotSupportedException();

        public override void Read(Span<byte> buffer) => throw new NotSupportedException();

        public override void WriteByte(byte value) => throw new NotSupportedException();

        public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();
    }
}

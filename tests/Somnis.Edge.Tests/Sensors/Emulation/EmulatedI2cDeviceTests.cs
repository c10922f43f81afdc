using System.Device.I2c;
using Iot.Device.Imu;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>What every emulated I2C chip shares: faults injected on the bed.</summary>
public sealed class EmulatedI2cDeviceTests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Nack_makes_every_transfer_throw_like_the_linux_driver()
    {
        var chip = new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x68));
        _bed.Inject(EmulatedMpu6050.Chip, ChipFault.Nack);
        Assert.Throws<IOException>(() => chip.ReadByte());
        Assert.ThrowsAny<IOException>(() => new Mpu6050(chip));
    }
}

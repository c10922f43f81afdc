using Somnis.Edge.Sensors.Drivers;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>The accelerometer adapter on the emulated MPU6050 (hardware/mpu6050/README.md).</summary>
public sealed class AccelerometerTests
{
    [Fact]
    public void Reads_one_g_upwards_on_a_still_frame()
    {
        var f = new SensorDriverFixture();
        using var accelerometer = Accelerometer.Open(f.Options.Accelerometer!, f.Buses);
        var a = accelerometer.Read();

        Assert.InRange(a.Z, 0.98, 1.02);
        Assert.InRange(Math.Abs(a.X) + Math.Abs(a.Y), 0, 0.05);
    }

    [Fact]
    public void A_chip_that_does_not_acknowledge_cannot_be_opened()
    {
        var f = new SensorDriverFixture();
        f.Bed.Inject(EmulatedMpu6050.Chip, ChipFault.Nack);
        Assert.ThrowsAny<IOException>(() => Accelerometer.Open(f.Options.Accelerometer!, f.Buses));
    }
}

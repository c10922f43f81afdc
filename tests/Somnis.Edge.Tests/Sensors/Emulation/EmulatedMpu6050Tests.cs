using System.Device.I2c;
using Iot.Device.Imu;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real MPU6050 binding against the emulated chip (hardware/mpu6050/README.md).</summary>
public sealed class EmulatedMpu6050Tests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Mpu6050_driver_checks_who_am_i_and_reads_one_g_on_a_still_frame()
    {
        using var imu = new Mpu6050(new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x68)));
        var a = imu.GetAccelerometer();

        Assert.InRange(a.Length(), 9.6, 10.0);
        Assert.InRange(a.Z, 9.6, 10.0);
    }
}

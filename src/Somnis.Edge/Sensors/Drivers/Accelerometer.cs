using System.Numerics;
using Iot.Device.Imu;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>The bed-frame accelerometer: an MPU6050 read in g.</summary>
internal sealed class Accelerometer(Mpu6050 driver) : IDisposable
{
    /// <summary>The gravity constant of the binding: the MPU6050 binding reports m/s² with this g.</summary>
    private const float DriverGravity = 9.807f;

    public static Accelerometer Open(SensorOptions o, ISensorBuses buses) => new(new Mpu6050(buses.OpenI2c(o)));

    /// <summary>The acceleration now, g per axis (z up, gravity included).</summary>
    public Vector3 Read() => driver.GetAccelerometer() / DriverGravity;

    public void Dispose() => driver.Dispose();
}

using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>An emulated bed with the standard sensors, for testing one driver adapter at a time on its emulated chip.</summary>
internal sealed class SensorDriverFixture
{
    public SensorDriverFixture(string bcgChip = "ads1115")
    {
        Bed = EmulatedNight.BedInBed();
        Options = EmulatedNight.StandardSensors(bcgChip);
        Buses = new EmulatedSensorBuses(Bed, Options);
    }

    public EmulatedBed Bed { get; }

    public SensorsOptions Options { get; }

    public EmulatedSensorBuses Buses { get; }
}

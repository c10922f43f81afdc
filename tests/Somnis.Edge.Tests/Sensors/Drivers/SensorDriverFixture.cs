using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>An emulated bed with the standard sensors, for testing one driver adapter at a time on its emulated chip.</summary>
internal sealed class SensorDriverFixture
{
    public SensorDriverFixture(string bcgChip = "ads1115")
    {
        // The sleeper lies in bed (awake) from the first second of the night.
        Bed = new EmulatedBed(new SleeperModel(Scenario.Healthy, 21), 21);
        Bed.AdvanceTo(1);
        Options = EmulatedNight.StandardSensors(bcgChip);
        Buses = new EmulatedSensorBuses(Bed, Options);
    }

    public EmulatedBed Bed { get; }

    public SensorsOptions Options { get; }

    public EmulatedSensorBuses Buses { get; }
}

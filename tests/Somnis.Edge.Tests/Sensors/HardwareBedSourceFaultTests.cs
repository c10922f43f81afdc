using Somnis.Contracts;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Sensors.Processing;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>
/// Faults injected into one emulated chip at a time: the sensor is reported faulty with the reason, its values are
/// withheld (null, never repeated), the other sensors keep working, and it is reported healthy again once it recovers.
/// </summary>
public sealed class HardwareBedSourceFaultTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    public static TheoryData<string, ChipFault, string, string> Faults => new()
    {
        { EmulatedMpu6050.Chip, ChipFault.Nack, "accelerometer", FaultReasons.Exception },
        { EmulatedMlx90614.Chip, ChipFault.Crc, "skin-thermometer", FaultReasons.Crc },
        { EmulatedMlx90614.Chip, ChipFault.Stale, "skin-thermometer", FaultReasons.Stale },
        { EmulatedMlx90614.Chip, ChipFault.OutOfRange, "skin-thermometer", FaultReasons.OutOfRange },
        { EmulatedBme280.Chip, ChipFault.Stale, "room-climate", FaultReasons.Stale },
        { EmulatedBme280.Chip, ChipFault.Nack, "room-climate", FaultReasons.Exception },
        { EmulatedBme280.Chip, ChipFault.OutOfRange, "room-climate", FaultReasons.OutOfRange },
        { EmulatedAds1115.Chip, ChipFault.FlatLine, "bcg", FaultReasons.FlatLine },
        { EmulatedAds1115.Chip, ChipFault.Stale, "bcg", FaultReasons.Stale },
        { EmulatedAds1115.Chip, ChipFault.OutOfRange, "bcg", FaultReasons.OutOfRange },
        { EmulatedAds1115.Chip, ChipFault.Nack, "bcg", FaultReasons.Exception },
        { EmulatedMpu6050.Chip, ChipFault.OutOfRange, "accelerometer", FaultReasons.OutOfRange },
        { EmulatedMpu6050.Chip, ChipFault.Stale, "accelerometer", FaultReasons.Stale },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Fault_is_reported_values_withheld_and_recovery_reported(string chip, ChipFault fault, string sensor, string reason)
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 11, out var bed);

        // Settle into sleep with every sensor healthy (the first minutes are the wake period: settle 30 min).
        BedReading reading = source.Next(Interval);
        for (var i = 0; i < 180; i++)
        {
            reading = source.Next(Interval);
        }

        Assert.All(reading.Sensors, h => Assert.True(h.Healthy, $"{h.Name} unhealthy before the fault: {h.Reason}"));
        Assert.NotNull(Value(reading, sensor));

        bed.Inject(chip, fault);

        // Stale needs the plausible time to pass (60 s for temperatures, 5 s for the accelerometer); others show at once.
        var faulty = Until(source, r => !Health(r, sensor).Healthy, maxIntervals: 9);
        Assert.Equal(reason, Health(faulty, sensor).Reason);
        Assert.Null(Value(faulty, sensor));
        Assert.All(faulty.Sensors.Where(h => h.Name != sensor), h => Assert.True(h.Healthy, $"{h.Name} affected by a fault of {sensor}: {h.Reason}"));

        // It stays faulty (and withheld) while the fault lasts.
        for (var i = 0; i < 3; i++)
        {
            var r = source.Next(Interval);
            Assert.False(Health(r, sensor).Healthy);
            Assert.Null(Value(r, sensor));
        }

        bed.Inject(chip, ChipFault.None);

        // A failed driver is reopened after RetrySeconds; then the next clean interval reports it healthy.
        var recovered = Until(source, r => Health(r, sensor).Healthy, maxIntervals: 5);
        Assert.Null(Health(recovered, sensor).Reason);
        var after = Until(source, r => Value(r, sensor) is not null, maxIntervals: 6);
        Assert.True(Health(after, sensor).Healthy);
    }

    [Fact]
    public void Gpio_failure_reports_the_architect_line_faulty_and_the_interlock_engaged()
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 11, out var bed);
        var first = source.Next(Interval);
        Assert.False(first.InterlockEngaged);

        bed.Inject(EmulatedGpioDriver.Chip, ChipFault.Nack);
        var r = source.Next(Interval);

        Assert.False(Health(r, "architect").Healthy);
        Assert.False(Health(r, "pir").Healthy);
        Assert.True(r.InterlockEngaged);
        Assert.False(bed.RelayEnergised);
        Assert.True(Health(r, "bcg").Healthy);
        Assert.NotNull(r.BedPresence);
    }

    private static SensorHealth Health(BedReading r, string sensor) => r.Sensors.Single(h => h.Name == sensor);

    private static object? Value(BedReading r, string sensor) => sensor switch
    {
        "accelerometer" => r.ActivityCount,
        "skin-thermometer" => r.SkinTemperature,
        "room-climate" => r.RoomTemperature,
        "bcg" => r.BedPresence,
        _ => throw new ArgumentOutOfRangeException(nameof(sensor)),
    };

    private static BedReading Until(HardwareBedSource source, Func<BedReading, bool> condition, int maxIntervals)
    {
        for (var i = 0; i < maxIntervals; i++)
        {
            var r = source.Next(Interval);
            if (condition(r))
            {
                return r;
            }
        }

        throw new Xunit.Sdk.XunitException($"condition not met within {maxIntervals} intervals");
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>The bed's sensors in hardware mode, on emulated chips: readings, the real-time path and the Architect interlock.</summary>
public sealed class HardwareBedSourceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void Every_reading_of_a_night_passes_the_protocol_validator()
    {
        using var source = EmulatedNight.Create(Scenario.ArchitectDeprivation, 17, night: TimeSpan.FromHours(2));
        var rejected = new List<string>();
        for (var i = 0; i < 2.5 * 360; i++)
        {
            var r = source.Next(TimeSpan.FromSeconds(10));
            var vitals = new VitalsMessage
            {
                Bed = "bed-01", Seq = i + 1, Ts = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(10 * i), IntervalSeconds = 10,
                HeartRate = r.HeartRate, RespirationRate = r.RespirationRate, ActivityCount = r.ActivityCount, SkinTemperature = r.SkinTemperature,
                RoomTemperature = r.RoomTemperature, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality,
                ArchitectStimulating = r.ArchitectStimulating, InterlockEngaged = r.InterlockEngaged,
            };
            var parsed = MessageValidator.Validate(vitals, "bed-01");
            if (parsed.Message is null)
            {
                rejected.Add($"{i}: {parsed.Detail}");
            }
        }

        Assert.Empty(rejected);
    }

    [Fact]
    public void Real_time_path_samples_on_its_own_thread_and_stops_on_dispose()
    {
        var options = EmulatedNight.StandardSensors();
        var bed = new EmulatedBed(new SleeperModel(Scenario.Healthy, 2), 2);
        var buses = new FreeRunningBuses(new EmulatedSensorBuses(bed, options));
        var source = new HardwareBedSource("bed-01", options, buses, "hardware", null, NullLogger.Instance);

        var reading = source.Next(TimeSpan.FromSeconds(10));
        Assert.Contains(reading.Sensors, s => s.Name == "bcg" && s.Healthy);
        Assert.NotNull(reading.BedPresence);

        source.Dispose();
        var after = buses.Samples;
        Thread.Yield();
        Assert.Equal(after, buses.Samples);
    }

    [Fact]
    public void Engaging_cuts_stimulation_and_releasing_lets_it_through_again()
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 3, out var bed);

        // Run until the Architect stimulates (the healthy scenario stimulates in REM).
        var stimulating = false;
        for (var i = 0; i < 3000 && !stimulating; i++)
        {
            stimulating = source.Next(Interval).ArchitectStimulating;
        }

        Assert.True(stimulating, "the Architect never stimulated");
        Assert.True(bed.RelayEnergised);

        source.SetInterlock(true);
        source.Next(Interval);
        var engaged = source.Next(Interval);
        Assert.True(engaged.InterlockEngaged);
        Assert.False(engaged.ArchitectStimulating);
        Assert.False(bed.RelayEnergised);
        Assert.True(bed.Current.ArchitectStimulating, "the Architect still wants to stimulate");
        Assert.True(engaged.Sensors.Single(s => s.Name == "architect").Healthy);

        source.SetInterlock(false);
        var released = source.Next(Interval);
        Assert.False(released.InterlockEngaged);
        Assert.True(released.ArchitectStimulating);
    }

    [Fact]
    public void Engage_at_start_keeps_stimulation_cut_from_the_first_interval()
    {
        var sensors = EmulatedNight.StandardSensors();
        sensors.Architect!.EngageAtStart = true;
        using var source = EmulatedNight.Create(Scenario.Healthy, 3, out var bed, sensors);
        var r = source.Next(Interval);
        Assert.True(r.InterlockEngaged);
        Assert.False(bed.RelayEnergised);
    }

    /// <summary>Emulated chips whose clock claims real time, so the source uses its acquisition thread (without waiting).</summary>
    private sealed class FreeRunningBuses(EmulatedSensorBuses inner) : ISensorBuses
    {
        private long _samples;

        public long Samples => Interlocked.Read(ref _samples);

        public ISampleClock Clock => new FreeClock(this, inner.Clock);

        public System.Device.I2c.I2cDevice OpenI2c(string chip, int bus, int address) => inner.OpenI2c(chip, bus, address);

        public System.Device.Spi.SpiDevice OpenSpi(string chip, int bus, int chipSelect) => inner.OpenSpi(chip, bus, chipSelect);

        public System.Device.Gpio.GpioController OpenGpio() => inner.OpenGpio();

        private sealed class FreeClock(FreeRunningBuses owner, ISampleClock clock) : ISampleClock
        {
            public bool Emulated => false;

            public void WaitUntil(double seconds)
            {
                Interlocked.Increment(ref owner._samples);
                clock.WaitUntil(seconds);
            }
        }
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors;

public sealed class HardwareSourceTests
{
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
    public void Watchdog_pings_only_while_every_bed_makes_progress()
    {
        var o = Options.Create(new EdgeOptions { Interval = TimeSpan.FromSeconds(10) });
        var edge = new EdgeService(o, new BedSourceFactory(o), new ClockQuality(o, TimeProvider.System, NullLogger<ClockQuality>.Instance), new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), TimeProvider.System, NullLogger<EdgeService>.Instance);
        var watchdog = new SystemdWatchdog(edge, o, TimeProvider.System);

        Assert.True(watchdog.Alive(TimeSpan.FromSeconds(10)));
        Assert.True(watchdog.Alive(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task Watchdog_sends_watchdog_pings_to_the_systemd_notify_socket()
    {
        var path = Path.Combine(Path.GetTempPath(), $"somnis-notify-{Guid.NewGuid():N}.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", path);
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "200000");
        try
        {
            var o = Options.Create(new EdgeOptions());
            var edge = new EdgeService(o, new BedSourceFactory(o), new ClockQuality(o, TimeProvider.System, NullLogger<ClockQuality>.Instance), new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), TimeProvider.System, NullLogger<EdgeService>.Instance);
            using var watchdog = new SystemdWatchdog(edge, o, TimeProvider.System, new Microsoft.Extensions.Hosting.Systemd.SystemdNotifier());
            await watchdog.StartAsync(CancellationToken.None);

            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token);
            Assert.Equal("WATCHDOG=1", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            await watchdog.StopAsync(CancellationToken.None);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
            File.Delete(path);
        }
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

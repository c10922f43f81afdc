using System.Collections.Concurrent;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Somnis.Contracts;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors.Drivers;
using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Sensors;

/// <summary>
/// Hardware mode: the bed's chips read through their driver adapters (<c>Sensors/Drivers</c>, over the
/// Iot.Device.Bindings drivers), turned into a <see cref="BedReading"/> by our own signal processing, with per-sensor
/// health. Each sensor is a <see cref="SensorChannel{TDriver}"/>. The piezo film is sampled at <see cref="BcgRate"/> Hz,
/// the accelerometer at <see cref="AccelRate"/> Hz, temperatures, PIR and the Architect line once per second.
/// On a Pi a dedicated thread samples in real time; on emulated chips each <see cref="Next"/> samples its interval
/// synchronously in emulated time, as fast as the drivers run (so a night can be replayed in seconds).
/// </summary>
internal sealed class HardwareBedSource : IBedSource, IArchitectInterlock
{
    public const int BcgRate = 128;
    public const int AccelRate = 32;

    private readonly string _bed;
    private readonly ILogger _logger;
    private readonly ISampleClock _clock;
    private readonly SensorChannel<BcgAdc> _bcg;
    private readonly SensorChannel<Accelerometer>? _accel;
    private readonly SensorChannel<SkinThermometer>? _skin;
    private readonly SensorChannel<RoomClimate>? _room;

    /// <summary>The GPIO lines; their channel's health is the Architect line's (the PIR has its own below).</summary>
    private readonly SensorChannel<GpioLines>? _gpio;
    private readonly SensorHealthTracker? _pirHealth;
    private readonly bool _readGpio;
    private readonly bool _driveInterlock;
    private readonly BcgProcessor _bcgProcessor = new(BcgRate);
    private readonly ActivityCounter _activity = new(AccelRate);
    private readonly BlockingCollection<RawSecond>? _acquired;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _thread;
    private long _second;
    private bool _keepAlive;
    private volatile bool _engaged;
    private double _engagedSince;

    public HardwareBedSource(string bed, SensorsOptions options, ISensorBuses buses, string mode, SimulationInfo? simulation, ILogger logger)
    {
        _bed = bed;
        _logger = logger;
        _clock = buses.Clock;
        Mode = mode;
        Simulation = simulation;
        var bcg = options.Bcg ?? throw new ArgumentException("Edge:Sensors:Bcg is required", nameof(options));
        _bcg = Channel(new("bcg", double.MinValue, double.MaxValue, double.MaxValue), () => BcgAdc.Open(bcg, buses));
        if (options.Accelerometer is { } acc)
        {
            _accel = Channel(new("accelerometer", 0.3, 3.0, 5), () => Accelerometer.Open(acc, buses));
        }

        if (options.SkinThermometer is { } skin)
        {
            _skin = Channel(new("skin-thermometer", 0, 50, 60), () => SkinThermometer.Open(skin, buses));
        }

        if (options.RoomClimate is { } room)
        {
            _room = Channel(new("room-climate", 0, 45, 60), () => RoomClimate.Open(room, buses));
        }

        var pirPin = options.Pir?.Pin ?? -1;
        var stimulationPin = options.Architect?.StimulationPin ?? -1;
        var interlockPin = options.Architect?.InterlockPin ?? -1;
        _engaged = options.Architect?.EngageAtStart ?? false;
        if (pirPin >= 0 || stimulationPin >= 0 || interlockPin >= 0)
        {
            var architect = new SensorHealthTracker("architect", double.MinValue, double.MaxValue, double.MaxValue);
            _gpio = Channel(architect, () => GpioLines.Open(buses, pirPin, stimulationPin, interlockPin));
            _pirHealth = pirPin >= 0 ? new SensorHealthTracker("pir", double.MinValue, double.MaxValue, double.MaxValue) : null;
            _readGpio = pirPin >= 0 || stimulationPin >= 0;
            _driveInterlock = interlockPin >= 0;
        }

        if (!_clock.Emulated)
        {
            _acquired = new BlockingCollection<RawSecond>(boundedCapacity: 120);
            _thread = new Thread(AcquireLoop) { IsBackground = true, Name = $"sensors {bed}", Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    public string Mode { get; }

    public SimulationInfo? Simulation { get; }

    public bool InterlockEngaged => _engaged || (_gpio is not null && _gpio.Health.Faulty);

    public void SetInterlock(bool engaged)
    {
        if (_engaged != engaged)
        {
            _engaged = engaged;
            Log.InterlockSet(_logger, _bed, engaged);
        }
    }

    public BedReading Next(TimeSpan interval)
    {
        var seconds = Math.Max(1, (int)Math.Round(interval.TotalSeconds));
        var results = new List<SecondResult>(seconds);
        for (var i = 0; i < seconds; i++)
        {
            RawSecond? raw;
            if (_acquired is null)
            {
                raw = Acquire(_second++);
            }
            else if (!_acquired.TryTake(out raw, TimeSpan.FromSeconds(5)))
            {
                break;
            }

            results.Add(Process(raw));
        }

        return Summarise(results);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(2));
        _bcg.Dispose();
        _accel?.Dispose();
        _skin?.Dispose();
        _room?.Dispose();
        _gpio?.Dispose();
        _acquired?.Dispose();
        _stop.Dispose();
    }

    private SensorChannel<T> Channel<T>(SensorHealthTracker health, Func<T> open)
        where T : class, IDisposable => new(_bed, health, open, _logger);

    private void AcquireLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var raw = Acquire(_second++);
                if (!_acquired!.TryAdd(raw))
                {
                    // Nobody consumes (the publisher is stuck): drop the oldest second rather than block sampling.
                    _acquired.TryTake(out _);
                    _acquired.TryAdd(raw);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // By design: Dispose ends the loop.
        }
    }

    /// <summary>Reads one second of every sensor, paced by the clock.</summary>
    private RawSecond Acquire(long second)
    {
        var raw = new RawSecond(second, _accel is null ? 0 : AccelRate);
        for (var k = 0; k < BcgRate; k++)
        {
            var t = second + ((double)k / BcgRate);
            _clock.WaitUntil(t);
            _bcg.Sample(t, raw.Bcg, k, static adc => adc.Read());
            if (k % (BcgRate / AccelRate) == 0)
            {
                _accel?.Sample(t, raw.Accel, k / (BcgRate / AccelRate), static imu => imu.Read());
            }

            if (k % 16 == 0 && _driveInterlock && raw.Gpio.Error is null)
            {
                // Keep-alive edges for the relay's monostable while stimulation is permitted; a steady low engages.
                _keepAlive = !_engaged && !_keepAlive;
                _gpio!.Drive(t, raw.Gpio, _keepAlive, static (lines, high) => lines.WriteKeepAlive(high));
            }

            if (k == 0)
            {
                _skin?.Sample(t, raw.Skin, 0, static ir => ir.Read());
                _room?.Sample(t, raw.Room, 0, static climate => climate.Read());
                if (_readGpio)
                {
                    _gpio!.Sample(t, raw.Gpio, 0, static lines => lines.Read());
                }
            }
        }

        return raw;
    }

    private SecondResult Process(RawSecond raw)
    {
        var t = (double)raw.Second;
        var result = new SecondResult();
        if (!_bcg.Check(raw.Bcg))
        {
            _bcgProcessor.AddMissingSecond(BcgRate);
        }
        else
        {
            var s = _bcgProcessor.AddSecond(raw.Bcg.Values);
            if (s.OutOfRange)
            {
                _bcg.Health.Fail(FaultReasons.OutOfRange);
            }
            else if (s.Stale)
            {
                _bcg.Health.Fail(FaultReasons.Stale);
            }
            else if (s.FlatLine)
            {
                _bcg.Health.Fail(FaultReasons.FlatLine);
            }
        }

        if (_accel is not null)
        {
            if (!_accel.Check(raw.Accel))
            {
                _activity.Reset();
            }
            else
            {
                for (var i = 0; i < raw.Accel.Values.Length; i++)
                {
                    if (_accel.Health.Observe(t + ((double)i / AccelRate), raw.Accel.Values[i].Length()))
                    {
                        _activity.Add(raw.Accel.Values[i]);
                    }
                }
            }
        }

        if (_skin is not null && _skin.Check(raw.Skin) && _skin.Health.Observe(t, raw.Skin.Value))
        {
            result.Skin = raw.Skin.Value;
        }

        if (_room is not null && _room.Check(raw.Room) && _room.Health.Observe(t, raw.Room.Value.Celsius))
        {
            result.Room = raw.Room.Value.Celsius;
            result.Humidity = raw.Room.Value.Humidity;
        }

        if (_gpio is not null)
        {
            ProcessGpio(t, raw.Gpio, result);
        }

        return result;
    }

    private void ProcessGpio(double t, SensorSecond<GpioReading> gpio, SecondResult result)
    {
        if (gpio.Error is { } e)
        {
            _pirHealth?.Fail(SensorSecond.Reason(e));
            _gpio!.Check(gpio);
        }
        else
        {
            result.Motion = gpio.Value.Motion;
            result.Stimulating = gpio.Value.Stimulating;
            if (_engaged && gpio.Value.Stimulating && t - _engagedSince > 1)
            {
                // Sensed after the relay: stimulation while engaged means the relay is stuck closed.
                _gpio!.Health.Fail("interlock-stuck");
            }
        }

        if (!_engaged)
        {
            _engagedSince = t;
        }
    }

    private BedReading Summarise(List<SecondResult> seconds)
    {
        var bcg = _bcgProcessor.EndInterval();
        var counts = _activity.TakeCounts();
        var sensors = new List<SensorHealth> { _bcg.Health.EndInterval() };
        var bcgOk = sensors[0].Healthy && seconds.Count > 0;
        double? activity = null;
        if (_accel is not null)
        {
            var h = _accel.Health.EndInterval();
            sensors.Add(h);
            activity = h.Healthy ? counts : null;
        }

        double? skin = null;
        if (_skin is not null)
        {
            var h = _skin.Health.EndInterval();
            sensors.Add(h);
            var values = seconds.Where(s => s.Skin is not null).Select(s => s.Skin!.Value).ToArray();
            skin = h.Healthy && values.Length > 0 && bcg.Present == true ? Math.Round(values.Average(), 2) : null;
        }

        double? room = null, humidity = null;
        if (_room is not null)
        {
            var h = _room.Health.EndInterval();
            sensors.Add(h);
            var values = seconds.Where(s => s.Room is not null).ToArray();
            room = h.Healthy && values.Length > 0 ? Math.Round(values.Average(s => s.Room!.Value), 2) : null;
            humidity = h.Healthy && values.Any(s => s.Humidity is not null) ? Math.Round(values.Where(s => s.Humidity is not null).Average(s => s.Humidity!.Value), 1) : null;
        }

        bool? motion = null;
        if (_pirHealth is not null)
        {
            var h = _pirHealth.EndInterval();
            sensors.Add(h);
            motion = h.Healthy ? seconds.Any(s => s.Motion) : null;
        }

        var interlockEngaged = _engaged;
        if (_gpio is not null)
        {
            var h = _gpio.Health.EndInterval();
            sensors.Add(h);
            interlockEngaged |= !h.Healthy;
        }

        return new BedReading(
            HeartRate: bcgOk ? bcg.HeartRate : null,
            RespirationRate: bcgOk ? bcg.RespirationRate : null,
            ActivityCount: activity,
            SkinTemperature: skin,
            RoomTemperature: room,
            BedPresence: bcgOk ? bcg.Present : null,
            SignalQuality: bcgOk ? Math.Round(bcg.Quality, 2) : 0,
            ArchitectStimulating: seconds.Any(s => s.Stimulating),
            Sensors: sensors,
            InterlockEngaged: interlockEngaged,
            RoomHumidity: humidity,
            RoomMotion: motion);
    }

    /// <summary>One second of raw readings, one <see cref="SensorSecond{T}"/> per sensor.</summary>
    private sealed class RawSecond(long second, int accelSamples)
    {
        public long Second => second;

        public SensorSecond<double> Bcg { get; } = new(BcgRate);

        public SensorSecond<Vector3> Accel { get; } = new(accelSamples);

        public SensorSecond<double> Skin { get; } = new(1);

        public SensorSecond<ClimateReading> Room { get; } = new(1);

        public SensorSecond<GpioReading> Gpio { get; } = new(1);
    }

    private sealed class SecondResult
    {
        public double? Skin { get; set; }

        public double? Room { get; set; }

        public double? Humidity { get; set; }

        public bool Motion { get; set; }

        public bool Stimulating { get; set; }
    }
}

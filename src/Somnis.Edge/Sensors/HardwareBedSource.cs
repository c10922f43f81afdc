using System.Collections.Concurrent;
using System.Device.Gpio;
using System.Device.I2c;
using System.Numerics;
using Iot.Device.Ads1115;
using Iot.Device.Adc;
using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.PowerMode;
using Iot.Device.Hcsr501;
using Iot.Device.Imu;
using Iot.Device.Mlx90614;
using Microsoft.Extensions.Logging;
using Somnis.Contracts;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Sensors.Processing;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Sensors;

/// <summary>
/// Hardware mode: the bed's chips read through the Iot.Device.Bindings drivers, turned into a <see cref="BedReading"/>
/// by our own signal processing, with per-sensor health. The piezo film is sampled at <see cref="BcgRate"/> Hz, the
/// accelerometer at <see cref="AccelRate"/> Hz, temperatures, PIR and the Architect line once per second.
/// On a Pi a dedicated thread samples in real time; on emulated chips each <see cref="Next"/> samples its interval
/// synchronously in emulated time, as fast as the drivers run (so a night can be replayed in seconds).
/// </summary>
internal sealed class HardwareBedSource : IBedSource, IArchitectInterlock
{
    public const int BcgRate = 128;
    public const int AccelRate = 32;

    /// <summary>Seconds before a failed driver is opened again.</summary>
    public const double RetrySeconds = 10;

    /// <summary>Bus-driver gravity constant: the MPU6050 binding reports m/s² with this g.</summary>
    private const float DriverGravity = 9.807f;

    private static readonly IOException NotResponding = new("sensor not responding; waiting to retry");

    private readonly string _bed;
    private readonly ILogger _logger;
    private readonly ISampleClock _clock;
    private readonly EmulatedBed? _emulated;
    private readonly Slot<BcgAdc> _bcg;
    private readonly Slot<Mpu6050>? _accel;
    private readonly Slot<SkinThermometer>? _skin;
    private readonly Slot<Bme280>? _room;
    private readonly Slot<GpioLines>? _gpio;
    private readonly int _pirPin = -1;
    private readonly int _stimulationPin = -1;
    private readonly int _interlockPin = -1;
    private readonly SensorHealthTracker _bcgHealth = new("bcg", double.MinValue, double.MaxValue, double.MaxValue);
    private readonly SensorHealthTracker _accelHealth = new("accelerometer", 0.3, 3.0, 5);
    private readonly SensorHealthTracker _skinHealth = new("skin-thermometer", 0, 50, 60);
    private readonly SensorHealthTracker _roomHealth = new("room-climate", 0, 45, 60);
    private readonly SensorHealthTracker _pirHealth = new("pir", double.MinValue, double.MaxValue, double.MaxValue);
    private readonly SensorHealthTracker _architectHealth = new("architect", double.MinValue, double.MaxValue, double.MaxValue);
    private readonly BcgProcessor _bcgProcessor = new(BcgRate);
    private readonly ActivityCounter _activity = new(AccelRate);
    private readonly BlockingCollection<RawSecond>? _acquired;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _thread;
    private readonly List<Physiology> _truth = [];
    private long _second;
    private bool _keepAlive;
    private volatile bool _engaged;
    private double _engagedSince;

    public HardwareBedSource(string bed, SensorsOptions options, ISensorBuses buses, string mode, SimulationInfo? simulation, ILogger logger)
    {
        _bed = bed;
        _logger = logger;
        _clock = buses.Clock;
        _emulated = (buses as EmulatedSensorBuses)?.Bed;
        Mode = mode;
        Simulation = simulation;
        var bcg = options.Bcg ?? throw new ArgumentException("Edge:Sensors:Bcg is required", nameof(options));
        _bcg = new Slot<BcgAdc>("bcg", () => BcgAdc.Open(bcg, buses));
        if (options.Accelerometer is { } acc)
        {
            _accel = new Slot<Mpu6050>("accelerometer", () => new Mpu6050(OpenI2c(buses, acc)));
        }

        if (options.SkinThermometer is { } skin)
        {
            _skin = new Slot<SkinThermometer>("skin-thermometer", () => new SkinThermometer(OpenI2c(buses, skin)));
        }

        if (options.RoomClimate is { } room)
        {
            _room = new Slot<Bme280>("room-climate", () =>
            {
                var sensor = new Bme280(OpenI2c(buses, room));
                sensor.SetPowerMode(Bmx280PowerMode.Normal); // normal mode: Read() needs no conversion wait
                return sensor;
            });
        }

        _pirPin = options.Pir?.Pin ?? -1;
        _stimulationPin = options.Architect?.StimulationPin ?? -1;
        _interlockPin = options.Architect?.InterlockPin ?? -1;
        _engaged = options.Architect?.EngageAtStart ?? false;
        if (_pirPin >= 0 || _stimulationPin >= 0 || _interlockPin >= 0)
        {
            _gpio = new Slot<GpioLines>("gpio", () => OpenGpio(buses));
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

    /// <summary>The emulated bed, when the chips are emulated (tests inject faults through it).</summary>
    public EmulatedBed? Emulated => _emulated;

    /// <summary>Ground truth of the last interval (emulated chips only), for accuracy tests.</summary>
    public IReadOnlyList<Physiology> LastTruth => _truth;

    /// <summary>Heart beats found in the last interval, seconds since start (for tests).</summary>
    public IReadOnlyList<double> LastBeats { get; private set; } = [];

    public bool InterlockEngaged => _engaged || (_gpio is not null && _architectHealth.Faulty);

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

        _truth.Clear();
        if (_emulated is not null)
        {
            _truth.AddRange(_emulated.TakeSeconds());
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

    private static I2cDevice OpenI2c(ISensorBuses buses, SensorOptions o)
    {
        SensorsOptionsValidator.TryParseAddress(o.Address, out var address);
        return buses.OpenI2c(o.Chip!.ToLowerInvariant(), o.Bus ?? 1, address);
    }

    private GpioLines OpenGpio(ISensorBuses buses)
    {
        var gpio = buses.OpenGpio();
        try
        {
            if (_stimulationPin >= 0)
            {
                gpio.OpenPin(_stimulationPin, PinMode.InputPullDown);
            }

            if (_interlockPin >= 0)
            {
                gpio.OpenPin(_interlockPin, PinMode.Output, PinValue.Low);
            }

            return new GpioLines(gpio, _pirPin >= 0 ? new Hcsr501(_pirPin, gpio, shouldDispose: false) : null);
        }
        catch
        {
            gpio.Dispose();
            throw;
        }
    }

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
        var raw = new RawSecond(second, new double[BcgRate], _accel is null ? [] : new Vector3[AccelRate]);
        for (var k = 0; k < BcgRate; k++)
        {
            var t = second + ((double)k / BcgRate);
            _clock.WaitUntil(t);
            if (raw.BcgError is null)
            {
                try
                {
                    raw.Bcg[k] = (_bcg.Device(t) ?? throw NotResponding).Read();
                }
                catch (Exception ex)
                {
                    raw.BcgError = ex;
                    _bcg.Drop(t, ex, this);
                }
            }

            if (_accel is not null && k % (BcgRate / AccelRate) == 0 && raw.AccelError is null)
            {
                try
                {
                    raw.Accel[k / (BcgRate / AccelRate)] = (_accel.Device(t) ?? throw NotResponding).GetAccelerometer() / DriverGravity;
                }
                catch (Exception ex)
                {
                    raw.AccelError = ex;
                    _accel.Drop(t, ex, this);
                }
            }

            if (k % 16 == 0)
            {
                DriveInterlock(t, raw);
            }

            if (k == 0)
            {
                ReadSlowSensors(t, raw);
            }
        }

        return raw;
    }

    private void ReadSlowSensors(double t, RawSecond raw)
    {
        if (_skin is not null)
        {
            try
            {
                raw.Skin = (_skin.Device(t) ?? throw NotResponding).Read();
            }
            catch (Exception ex)
            {
                raw.SkinError = ex;
                _skin.Drop(t, ex, this);
            }
        }

        if (_room is not null)
        {
            try
            {
                var r = (_room.Device(t) ?? throw NotResponding).Read();
                raw.Room = r.Temperature?.DegreesCelsius ?? double.NaN;
                raw.Humidity = r.Humidity?.Percent;
            }
            catch (Exception ex)
            {
                raw.RoomError = ex;
                _room.Drop(t, ex, this);
            }
        }

        if (_gpio is not null && (_pirPin >= 0 || _stimulationPin >= 0))
        {
            try
            {
                var lines = _gpio.Device(t) ?? throw NotResponding;
                if (lines.Pir is { } pir)
                {
                    raw.Motion = pir.IsMotionDetected;
                }

                if (_stimulationPin >= 0)
                {
                    raw.Stimulating = lines.Controller.Read(_stimulationPin) == PinValue.High;
                }
            }
            catch (Exception ex)
            {
                raw.GpioError = ex;
                _gpio.Drop(t, ex, this);
            }
        }
    }

    /// <summary>Keep-alive edges for the relay's monostable while stimulation is permitted; a steady low engages.</summary>
    private void DriveInterlock(double t, RawSecond raw)
    {
        if (_gpio is null || _interlockPin < 0 || raw.GpioError is not null)
        {
            return;
        }

        try
        {
            var lines = _gpio.Device(t) ?? throw NotResponding;
            _keepAlive = !_engaged && !_keepAlive;
            lines.Controller.Write(_interlockPin, _keepAlive ? PinValue.High : PinValue.Low);
        }
        catch (Exception ex)
        {
            raw.GpioError = ex;
            _gpio.Drop(t, ex, this);
        }
    }

    private SecondResult Process(RawSecond raw)
    {
        var t = (double)raw.Second;
        var result = new SecondResult();
        if (raw.BcgError is { } bcgError)
        {
            _bcgHealth.Fail(Reason(bcgError));
            _bcgProcessor.AddMissingSecond(BcgRate);
        }
        else
        {
            var s = _bcgProcessor.AddSecond(raw.Bcg);
            if (s.OutOfRange)
            {
                _bcgHealth.Fail(FaultReasons.OutOfRange);
            }
            else if (s.Stale)
            {
                _bcgHealth.Fail(FaultReasons.Stale);
            }
            else if (s.FlatLine)
            {
                _bcgHealth.Fail(FaultReasons.FlatLine);
            }
        }

        if (_accel is not null)
        {
            if (raw.AccelError is { } e)
            {
                _accelHealth.Fail(Reason(e));
                _activity.Reset();
            }
            else
            {
                for (var i = 0; i < raw.Accel.Length; i++)
                {
                    if (_accelHealth.Observe(t + ((double)i / AccelRate), raw.Accel[i].Length()))
                    {
                        _activity.Add(raw.Accel[i]);
                    }
                }
            }
        }

        if (_skin is not null)
        {
            if (raw.SkinError is { } e)
            {
                _skinHealth.Fail(Reason(e));
            }
            else if (_skinHealth.Observe(t, raw.Skin))
            {
                result.Skin = raw.Skin;
            }
        }

        if (_room is not null)
        {
            if (raw.RoomError is { } e)
            {
                _roomHealth.Fail(Reason(e));
            }
            else if (_roomHealth.Observe(t, raw.Room))
            {
                result.Room = raw.Room;
                result.Humidity = raw.Humidity;
            }
        }

        if (_gpio is not null)
        {
            var health = _pirPin >= 0 ? _pirHealth : null;
            if (raw.GpioError is { } e)
            {
                health?.Fail(Reason(e));
                _architectHealth.Fail(Reason(e));
            }
            else
            {
                result.Motion = raw.Motion;
                result.Stimulating = raw.Stimulating;
                if (_engaged && raw.Stimulating && t - _engagedSince > 1)
                {
                    // Sensed after the relay: stimulation while engaged means the relay is stuck closed.
                    _architectHealth.Fail("interlock-stuck");
                }
            }

            if (!_engaged)
            {
                _engagedSince = t;
            }
        }

        return result;
    }

    private BedReading Summarise(List<SecondResult> seconds)
    {
        var bcg = _bcgProcessor.EndInterval();
        LastBeats = [.. _bcgProcessor.IntervalBeats];
        var counts = _activity.TakeCounts();
        var sensors = new List<SensorHealth> { _bcgHealth.EndInterval() };
        var bcgOk = sensors[0].Healthy && seconds.Count > 0;
        double? activity = null;
        if (_accel is not null)
        {
            var h = _accelHealth.EndInterval();
            sensors.Add(h);
            activity = h.Healthy ? counts : null;
        }

        double? skin = null;
        if (_skin is not null)
        {
            var h = _skinHealth.EndInterval();
            sensors.Add(h);
            var values = seconds.Where(s => s.Skin is not null).Select(s => s.Skin!.Value).ToArray();
            skin = h.Healthy && values.Length > 0 && bcg.Present == true ? Math.Round(values.Average(), 2) : null;
        }

        double? room = null, humidity = null;
        if (_room is not null)
        {
            var h = _roomHealth.EndInterval();
            sensors.Add(h);
            var values = seconds.Where(s => s.Room is not null).ToArray();
            room = h.Healthy && values.Length > 0 ? Math.Round(values.Average(s => s.Room!.Value), 2) : null;
            humidity = h.Healthy && values.Any(s => s.Humidity is not null) ? Math.Round(values.Where(s => s.Humidity is not null).Average(s => s.Humidity!.Value), 1) : null;
        }

        bool? motion = null;
        if (_pirPin >= 0)
        {
            var h = _pirHealth.EndInterval();
            sensors.Add(h);
            motion = h.Healthy ? seconds.Any(s => s.Motion) : null;
        }

        var interlockEngaged = _engaged;
        if (_gpio is not null)
        {
            var h = _architectHealth.EndInterval();
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

    private static string Reason(Exception e) => e switch
    {
        CrcException => FaultReasons.Crc,
        _ when ReferenceEquals(e, NotResponding) => FaultReasons.NotResponding,
        _ => FaultReasons.Exception,
    };

    /// <summary>One second of raw readings.</summary>
    private sealed class RawSecond(long second, double[] bcg, Vector3[] accel)
    {
        public long Second => second;

        public double[] Bcg => bcg;

        public Vector3[] Accel => accel;

        public Exception? BcgError { get; set; }

        public Exception? AccelError { get; set; }

        public double Skin { get; set; }

        public Exception? SkinError { get; set; }

        public double Room { get; set; }

        public double? Humidity { get; set; }

        public Exception? RoomError { get; set; }

        public bool Motion { get; set; }

        public bool Stimulating { get; set; }

        public Exception? GpioError { get; set; }
    }

    private sealed class SecondResult
    {
        public double? Skin { get; set; }

        public double? Room { get; set; }

        public double? Humidity { get; set; }

        public bool Motion { get; set; }

        public bool Stimulating { get; set; }
    }

    /// <summary>A driver that is opened lazily and re-opened <see cref="RetrySeconds"/> after it failed.</summary>
    private sealed class Slot<T>(string name, Func<T> open) : IDisposable
        where T : class, IDisposable
    {
        private T? _device;
        private double _retryAt;

        public T? Device(double now)
        {
            if (_device is null && now >= _retryAt)
            {
                try
                {
                    _device = open();
                }
                catch
                {
                    _retryAt = now + RetrySeconds;
                    throw;
                }
            }

            return _device;
        }

        public void Drop(double now, Exception error, HardwareBedSource owner)
        {
            if (_device is not null || !ReferenceEquals(error, NotResponding))
            {
                if (!ReferenceEquals(error, NotResponding))
                {
                    Log.SensorDriverFailed(owner._logger, owner._bed, name, error.GetType().Name, error.Message);
                }

                DisposeQuietly();
                _retryAt = now + RetrySeconds;
            }
        }

        public void Dispose() => DisposeQuietly();

        private void DisposeQuietly()
        {
            try
            {
                _device?.Dispose();
            }
            catch (Exception)
            {
                // By design: a chip that vanished cannot be shut down cleanly; the handle is released anyway.
            }

            _device = null;
        }
    }

    /// <summary>The GPIO controller with the PIR binding on it.</summary>
    private sealed class GpioLines(GpioController controller, Hcsr501? pir) : IDisposable
    {
        public GpioController Controller => controller;

        public Hcsr501? Pir => pir;

        public void Dispose()
        {
            pir?.Dispose();
            controller.Dispose();
        }
    }

    /// <summary>The piezo film's ADC: an ADS1115 (I²C, continuous mode, 128 SPS) or an MCP3008 (SPI).</summary>
    private sealed class BcgAdc(IDisposable driver, Func<double> read) : IDisposable
    {
        public static BcgAdc Open(SensorOptions o, ISensorBuses buses)
        {
            var channel = o.Channel ?? 0;
            if (string.Equals(o.Chip, "mcp3008", StringComparison.OrdinalIgnoreCase))
            {
                var mcp = new Mcp3008(buses.OpenSpi("mcp3008", o.Bus ?? 0, o.ChipSelect ?? 0));
                return new BcgAdc(mcp, () => mcp.Read(channel) * EmulatedMcp3008.ReferenceVolts / 1024.0);
            }

            var mux = channel switch
            {
                1 => InputMultiplexer.AIN1,
                2 => InputMultiplexer.AIN2,
                3 => InputMultiplexer.AIN3,
                _ => InputMultiplexer.AIN0,
            };
            var ads = new Ads1115(OpenI2c(buses, o), mux, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.Continuous);
            return new BcgAdc(ads, () => ads.RawToVoltage(ads.ReadRaw()).Volts);
        }

        public double Read() => read();

        public void Dispose() => driver.Dispose();
    }

    /// <summary>MLX90614 object temperature through the binding, checked against the SMBus PEC the binding ignores.</summary>
    private sealed class SkinThermometer(I2cDevice device) : IDisposable
    {
        private const byte ObjectTemperature1 = 0x07;
        private readonly Mlx90614 _driver = new(device);

        public double Read()
        {
            var celsius = _driver.ReadObjectTemperature().DegreesCelsius;
            Span<byte> frame = stackalloc byte[6];
            var address = (byte)device.ConnectionSettings.DeviceAddress;
            frame[0] = (byte)(address << 1);
            frame[1] = ObjectTemperature1;
            frame[2] = (byte)((address << 1) | 1);
            device.WriteRead([ObjectTemperature1], frame[3..]);
            if (Pec.Crc8(frame[..5]) != frame[5])
            {
                throw new CrcException("MLX90614 PEC mismatch");
            }

            return celsius;
        }

        public void Dispose() => _driver.Dispose();
    }
}

/// <summary>A chip's checksum did not match its data.</summary>
internal sealed class CrcException(string message) : IOException(message);

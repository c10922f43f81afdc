using Somnis.Edge.Simulation;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>A fault a test (or a demo) injects into one emulated chip.</summary>
public enum ChipFault
{
    /// <summary>The chip works.</summary>
    None,

    /// <summary>The chip does not acknowledge its address: every bus transfer throws <see cref="IOException"/>.</summary>
    Nack,

    /// <summary>The chip's output registers freeze at their last value (a hung conversion).</summary>
    Stale,

    /// <summary>The chip's outputs read a physically impossible value (saturated ADC, 380 °C thermometer).</summary>
    OutOfRange,

    /// <summary>The chip's checksum (SMBus PEC) does not match the data.</summary>
    Crc,

    /// <summary>The analogue input is disconnected: the ADC reads the amplifier's bias with no signal.</summary>
    FlatLine,
}

/// <summary>
/// The physical bed that the emulated chips measure: the <see cref="SleeperModel"/> turned into signals at the sensors
/// (piezo film voltage, bed-frame acceleration, skin and room temperature, GPIO lines). Time only moves when the
/// sampler calls <see cref="AdvanceTo"/>, so a night can be emulated as fast as the drivers run.
/// </summary>
internal sealed class EmulatedBed
{
    /// <summary>Bias of the piezo charge amplifier at the ADC input (mid-supply of 3.3 V), volts.</summary>
    public const double BcgBiasVolts = 1.65;

    /// <summary>J-peak amplitude of a heartbeat at the ADC input, volts.</summary>
    public const double JPeakVolts = 0.04;

    /// <summary>Respiration sway of the piezo signal, volts (amplitude).</summary>
    public const double RespirationVolts = 0.15;

    /// <summary>Movement burst amplitude at full movement intensity, volts (standard deviation).</summary>
    public const double MovementVolts = 0.5;

    /// <summary>Noise of an empty bed (building vibration and amplifier noise), volts RMS.</summary>
    public const double EmptyBedNoiseVolts = 0.003;

    /// <summary>Bed-frame vibration at full movement intensity, g (standard deviation per axis).</summary>
    public const double MovementG = 0.05;

    /// <summary>Accelerometer noise floor, g RMS per axis.</summary>
    public const double AccelNoiseG = 0.002;

    /// <summary>How long the HC-SR501 output stays high after motion (its retrigger hold time), seconds.</summary>
    public const double PirHoldSeconds = 5;

    /// <summary>How long the interlock relay's retriggerable monostable (74HC123, 110 kΩ × 10 µF) keeps the relay
    /// energised after the last rising keep-alive edge, seconds (hardware/README.md, "Architect interlock").</summary>
    public const double RelayHoldSeconds = 0.5;

    /// <summary>How many of the latest seconds' true states are kept for <see cref="TakeSeconds"/> (longer than any interval).</summary>
    public const int TruthSeconds = 600;

    private readonly SleeperModel _model;
    private readonly Random _rng;
    private readonly Dictionary<string, ChipFault> _faults = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The true states of the seconds stepped since the last <see cref="TakeSeconds"/>, at most
    /// <see cref="TruthSeconds"/> of them (nobody takes them outside tests: <c>--emulate-chips</c> runs for months).</summary>
    private readonly Queue<Physiology> _seconds = new(64);
    private double _time;
    private long _second;
    private double _beatPhase = 0.5;
    private double _respPhase;
    private double _lastBeat = -10;
    private double _previousBeat = -10;
    private double _beatAmplitude = 1;
    private double _previousAmplitude = 1;
    private double _beatPeriodFactor = 1;
    private double _breathPeriodFactor = 1;
    private double _bcgMovement;
    private double _ax;
    private double _ay;
    private double _az;
    private double _lastStrongMovement = -100;
    private double _lastRelayEdge = double.NegativeInfinity;
    private double _humidity = 45;

    public EmulatedBed(SleeperModel model, int seed)
    {
        _model = model;
        _rng = new Random(unchecked((seed * 131) + 17));
        Current = model.Current;
    }

    /// <summary>Emulated time since start, seconds.</summary>
    public double Time => _time;

    /// <summary>The sleeper's true state in the current second.</summary>
    public Physiology Current { get; private set; }

    /// <summary>The true states of the seconds stepped since the last call (the latest <see cref="TruthSeconds"/>), for
    /// accuracy tests: the ground truth of the interval a source just read.</summary>
    public IReadOnlyList<Physiology> TakeSeconds()
    {
        var copy = _seconds.ToArray();
        _seconds.Clear();
        return copy;
    }

    /// <summary>Injects (or with <see cref="ChipFault.None"/> clears) a fault in the chip of that name (<c>ads1115</c>, <c>mpu6050</c>…).</summary>
    public void Inject(string chip, ChipFault fault) => _faults[chip] = fault;

    public ChipFault FaultOf(string chip) => _faults.TryGetValue(chip, out var f) ? f : ChipFault.None;

    /// <summary>The interlock relay is energised, i.e. stimulation is permitted (not interlocked).</summary>
    public bool RelayEnergised => _time - _lastRelayEdge <= RelayHoldSeconds;

    /// <summary>The stimulation sense line, downstream of the relay: the Architect stimulates and the relay lets it.</summary>
    public bool StimulationLine => Current.ArchitectStimulating && RelayEnergised;

    /// <summary>The PIR output: high for <see cref="PirHoldSeconds"/> after a strong movement.</summary>
    public bool PirLine => _time - _lastStrongMovement <= PirHoldSeconds;

    /// <summary>A rising edge on the relay's keep-alive line (the monostable's B input retriggers on it).</summary>
    public void RelayEdge() => _lastRelayEdge = _time;

    /// <summary>Advances emulated time to <paramref name="t"/> seconds, stepping the sleeper model every whole second.</summary>
    public void AdvanceTo(double t)
    {
        if (t <= _time)
        {
            return;
        }

        while (t >= _second + 1)
        {
            _second++;
            Current = _model.Step();
            if (_seconds.Count == TruthSeconds)
            {
                _seconds.Dequeue();
            }

            _seconds.Enqueue(Current);
            if (Current.Movement >= 0.3)
            {
                _lastStrongMovement = _second;
            }

            _humidity += (45 - _humidity) / 600 + (Gaussian() * 0.05);
        }

        var dt = t - _time;
        _time = t;
        var p = Current;
        // Beats: the model's heart rate with beat-to-beat variability (±4 % RMS period jitter) and varying strength.
        var beatRate = p.HeartRate / 60 / _beatPeriodFactor;
        _beatPhase += beatRate * dt;
        if (_beatPhase >= 1)
        {
            _beatPhase -= 1;
            _previousBeat = _lastBeat;
            _lastBeat = t - (_beatPhase / beatRate);
            _previousAmplitude = _beatAmplitude;
            _beatAmplitude = Math.Clamp(1 + (Gaussian() * 0.15), 0.5, 1.5);
            _beatPeriodFactor = Math.Clamp(1 + (Gaussian() * 0.04), 0.85, 1.15);
        }

        // Breaths: the model's rate with breath-to-breath variability (±8 % RMS period jitter).
        _respPhase += p.RespirationRate / 60 / _breathPeriodFactor * dt;
        if (_respPhase >= 1)
        {
            _respPhase -= 1;
            _breathPeriodFactor = Math.Clamp(1 + (Gaussian() * 0.08), 0.75, 1.25);
        }

        // Movement: band-limited noise (AR(1), corner about 3 Hz) whose level follows the movement intensity.
        var a = Math.Exp(-2 * Math.PI * 3 * dt);
        var s = Math.Sqrt(1 - (a * a));
        _bcgMovement = (a * _bcgMovement) + (s * Gaussian());
        _ax = (a * _ax) + (s * Gaussian());
        _ay = (a * _ay) + (s * Gaussian());
        _az = (a * _az) + (s * Gaussian());
    }

    /// <summary>The piezo film voltage at the ADC input now, volts.</summary>
    public double BcgVolts()
    {
        var p = Current;
        if (p.BcgFault)
        {
            // The sensor-fault scenario: the film's connector is off, the amplifier sits at its bias.
            return FlatLineVolts();
        }

        var v = BcgBiasVolts + (Gaussian() * EmptyBedNoiseVolts);
        if (!p.InBed)
        {
            return v;
        }

        var breath = Math.Sin(2 * Math.PI * _respPhase);
        var beatAmplitude = JPeakVolts * (1 + (0.2 * breath));
        v += RespirationVolts * breath;
        v += beatAmplitude * ((_beatAmplitude * BeatShape(_time - _lastBeat)) + (_previousAmplitude * BeatShape(_time - _previousBeat)));
        v += MovementVolts * p.Movement * _bcgMovement;
        return v;
    }

    /// <summary>A disconnected film: the amplifier's bias with about one ADS1115 LSB of noise.</summary>
    public double FlatLineVolts() => BcgBiasVolts + (Gaussian() * 0.00015);

    /// <summary>Acceleration of the bed frame now, g (z up, gravity included).</summary>
    public (double X, double Y, double Z) Acceleration()
    {
        var m = Current.Movement * MovementG;
        return (
            (m * _ax) + (Gaussian() * AccelNoiseG),
            (m * _ay) + (Gaussian() * AccelNoiseG),
            1.0 + (m * _az) + (Gaussian() * AccelNoiseG));
    }

    /// <summary>Skin temperature seen by the infrared thermometer, °C.</summary>
    public double SkinSurfaceCelsius() =>
        (Current.InBed ? Current.SkinTemperature : Current.RoomTemperature + 0.5) + (Gaussian() * 0.03);

    /// <summary>Room temperature at the climate sensor, °C.</summary>
    public double RoomCelsius() => Current.RoomTemperature + (Gaussian() * 0.01);

    /// <summary>Relative humidity at the climate sensor, %.</summary>
    public double RoomHumidity() => Math.Clamp(_humidity, 5, 95);

    /// <summary>One heartbeat's H-I-J-K complex: a 7 Hz wave in a Gaussian window, J peak about 120 ms after the beat.</summary>
    private static double BeatShape(double tau) =>
        tau is < 0 or > 0.4 ? 0 : Math.Sin(2 * Math.PI * 7 * (tau - 0.084)) * Math.Exp(-Math.Pow((tau - 0.12) / 0.05, 2));

    private double Gaussian()
    {
        var u1 = 1.0 - _rng.NextDouble();
        var u2 = _rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

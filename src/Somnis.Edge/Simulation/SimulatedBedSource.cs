using Somnis.Contracts;
using Somnis.Edge.Sensing;

namespace Somnis.Edge.Simulation;

/// <summary>
/// Model-level simulation: the latent <see cref="SleeperModel"/> read out directly, with measurement noise and the
/// rules a real bed sensor follows (movement-corrupted seconds invalid, faulty sensor withheld). Cheap enough for
/// fleets of hundreds of beds per process.
/// </summary>
internal sealed class SimulatedBedSource : IBedSource
{
    /// <summary>Actiwatch-compatible counts per second of full-intensity movement (calibrated with the model's movement
    /// rates so that quiet wake gives about 30 counts per 30 s and still sleep almost always 0, as in the Walch 2019 recordings).</summary>
    public const double CountsPerMovementSecond = 40;

    // Seconds whose movement exceeds this corrupt the cardiac signal and are not used for heart rate.
    private const double MovementCorruption = 0.3;

    private readonly SleeperModel _model;
    private readonly Random _noise;
    private readonly List<Physiology> _interval = new(64);

    public SimulatedBedSource(SleeperModel model, int seed, double speed)
    {
        _model = model;
        _noise = new Random(unchecked((seed * 31) + 7));
        Simulation = new SimulationInfo(model.Scenario.Name(), seed, speed);
    }

    public string Mode => "simulated";

    public SimulationInfo Simulation { get; }

    SimulationInfo? IBedSource.Simulation => Simulation;

    /// <summary>The ground truth of the last interval, for accuracy tests.</summary>
    public IReadOnlyList<Physiology> LastInterval => _interval;

    public void SetInterlock(bool engaged) => _model.SetInterlock(engaged);

    public BedReading Next(TimeSpan interval)
    {
        _interval.Clear();
        var seconds = Math.Max(1, (int)Math.Round(interval.TotalSeconds));
        for (var i = 0; i < seconds; i++)
        {
            _interval.Add(_model.Step());
        }

        int inBed = 0, valid = 0;
        double hr = 0, rr = 0, movement = 0, skin = 0, room = 0;
        var stimulating = false;
        var fault = false;
        foreach (var p in _interval)
        {
            room += p.RoomTemperature;
            skin += p.SkinTemperature;
            movement += p.Movement;
            stimulating |= p.ArchitectStimulating;
            fault |= p.BcgFault;
            if (p.InBed)
            {
                inBed++;
                if (p.Movement < MovementCorruption)
                {
                    valid++;
                    hr += p.HeartRate;
                    rr += p.RespirationRate;
                }
            }
        }

        var n = _interval.Count;
        var present = inBed * 2 >= n;
        var quality = present ? (double)valid / n : 1.0;
        var usable = present && valid * 2 >= n;
        var sensors = fault ? FaultyBcg : Healthy;
        return new BedReading(
            HeartRate: fault || !usable ? null : Math.Round((hr / valid) + (Gaussian() * 0.8), 1),
            RespirationRate: fault || !usable ? null : Math.Round((rr / valid) + (Gaussian() * 0.3), 1),
            ActivityCount: Math.Round(movement * CountsPerMovementSecond, 1),
            SkinTemperature: Math.Round((skin / n) + (Gaussian() * 0.05), 2),
            RoomTemperature: Math.Round((room / n) + (Gaussian() * 0.05), 2),
            BedPresence: fault ? null : present,
            SignalQuality: fault ? 0 : Math.Round(quality, 2),
            ArchitectStimulating: stimulating,
            Sensors: sensors);
    }

    private static readonly SensorHealth[] Healthy =
    [
        new("bcg", true), new("accelerometer", true), new("skin-thermometer", true), new("room-climate", true),
    ];

    private static readonly SensorHealth[] FaultyBcg =
    [
        new("bcg", false, "flat-line"), new("accelerometer", true), new("skin-thermometer", true), new("room-climate", true),
    ];

    private double Gaussian()
    {
        var u1 = 1.0 - _noise.NextDouble();
        var u2 = _noise.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public void Dispose()
    {
    }
}

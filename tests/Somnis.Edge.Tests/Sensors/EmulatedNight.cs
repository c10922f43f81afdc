using Microsoft.Extensions.Logging.Abstractions;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;
using Xunit.Abstractions;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>Builds a hardware-mode bed on emulated chips and replays simulated time through the real drivers.</summary>
internal static class EmulatedNight
{
    public static SensorsOptions StandardSensors(string bcgChip = "ads1115") => new()
    {
        Bcg = bcgChip == "mcp3008"
            ? new SensorOptions { Chip = "mcp3008", Bus = 0, ChipSelect = 0, Channel = 0 }
            : new SensorOptions { Chip = "ads1115", Bus = 1, Address = "0x48", Channel = 0 },
        Accelerometer = new SensorOptions { Chip = "mpu6050", Bus = 1, Address = "0x68" },
        SkinThermometer = new SensorOptions { Chip = "mlx90614", Bus = 1, Address = "0x5A" },
        RoomClimate = new SensorOptions { Chip = "bme280", Bus = 1, Address = "0x76" },
        Pir = new SensorOptions { Chip = "hcsr501", Pin = 23 },
        Architect = new ArchitectOptions { StimulationPin = 24, InterlockPin = 17 },
    };

    /// <summary>A bed whose sleeper lies in bed (awake) from the first second of the night, for one chip at a time.</summary>
    public static EmulatedBed BedInBed()
    {
        var bed = new EmulatedBed(new SleeperModel(Scenario.Healthy, 21), 21);
        bed.AdvanceTo(1);
        return bed;
    }

    public static HardwareBedSource Create(Scenario scenario, int seed, SensorsOptions? sensors = null, TimeSpan? night = null) =>
        Create(scenario, seed, out _, sensors, night);

    /// <summary>The source and the emulated bed its chips measure (tests inject faults and read the truth there).</summary>
    public static HardwareBedSource Create(Scenario scenario, int seed, out EmulatedBed bed, SensorsOptions? sensors = null, TimeSpan? night = null)
    {
        var timeline = new SimulationTimeline(night ?? TimeSpan.FromHours(8), TimeSpan.FromHours(1));
        var model = new SleeperModel(scenario, seed, timeline);
        var options = sensors ?? StandardSensors();
        bed = new EmulatedBed(model, seed);
        return new HardwareBedSource("bed-01", options, new EmulatedSensorBuses(bed, options), "hardware", null, NullLogger.Instance);
    }

    /// <summary>A whole simulated night (8 h in bed, then 1 h out of bed) replayed through a source and scored.</summary>
    public static AccuracyReport Score(Scenario scenario, int seed, ITestOutputHelper output, Action<Scored>? each = null)
    {
        using var source = Create(scenario, seed, out var bed);
        var report = new AccuracyReport();
        for (var i = 0; i < 9 * 360; i++)
        {
            var reading = source.Next(TimeSpan.FromSeconds(10));
            var truth = bed.TakeSeconds();
            report.Add(reading, truth);
            each?.Invoke(new Scored(reading, truth));
        }

        output.WriteLine($"{scenario.Name()} seed {seed}: {report}");
        return report;
    }
}

/// <summary>One interval's reading with the ground truth of its seconds.</summary>
internal sealed record Scored(BedReading Reading, IReadOnlyList<Physiology> Truth);

/// <summary>Accuracy of a replayed night against the sleeper model.</summary>
internal sealed class AccuracyReport
{
    private readonly List<double> _hrErrors = [];
    private readonly List<double> _rrErrors = [];
    private readonly Queue<double> _recentRr = new();
    private int _inBedSeconds;
    private double _validInBedSeconds;
    private int _presenceCorrect;
    private int _presenceTotal;
    private int _movementTruePositive;
    private int _movementFalseNegative;
    private int _movementFalsePositive;
    private int _movementTrueNegative;
    private double _countsSum;
    private double _expectedCountsSum;
    private int _intervals;

    public double HeartRateMae => _hrErrors.Count == 0 ? double.NaN : _hrErrors.Average();

    public double HeartRateWithin5 => _hrErrors.Count == 0 ? 0 : _hrErrors.Count(e => e <= 5) / (double)_hrErrors.Count;

    public int HeartRateIntervals => _hrErrors.Count;

    public double ValidShare => _inBedSeconds == 0 ? 0 : _validInBedSeconds / _inBedSeconds;

    public double RespirationMae => _rrErrors.Count == 0 ? double.NaN : _rrErrors.Average();

    public int RespirationIntervals => _rrErrors.Count;

    public double PresenceAccuracy => _presenceTotal == 0 ? 0 : _presenceCorrect / (double)_presenceTotal;

    public double MovementSensitivity => _movementTruePositive / (double)Math.Max(1, _movementTruePositive + _movementFalseNegative);

    public double MovementSpecificity => _movementTrueNegative / (double)Math.Max(1, _movementTrueNegative + _movementFalsePositive);

    public double CountsRatio => _expectedCountsSum == 0 ? double.NaN : _countsSum / _expectedCountsSum;

    public int Intervals => _intervals;

    public void Add(BedReading r, IReadOnlyList<Physiology> truth)
    {
        _intervals++;
        foreach (var p in truth)
        {
            _recentRr.Enqueue(p.InBed ? p.RespirationRate : double.NaN);
            if (_recentRr.Count > BcgWindow)
            {
                _recentRr.Dequeue();
            }
        }

        var inBed = truth.Count(p => p.InBed);
        var allInBed = inBed == truth.Count;
        var fault = truth.Any(p => p.BcgFault);
        if (allInBed && !fault)
        {
            _inBedSeconds += truth.Count;
            _validInBedSeconds += r.HeartRate is null ? 0 : r.SignalQuality * truth.Count;
        }

        var valid = truth.Where(p => p.InBed && p.Movement < 0.3).ToArray();
        if (r.HeartRate is { } hr && valid.Length > 0)
        {
            _hrErrors.Add(Math.Abs(hr - valid.Average(p => p.HeartRate)));
        }

        if (r.RespirationRate is { } rr && !_recentRr.Any(double.IsNaN))
        {
            _rrErrors.Add(Math.Abs(rr - _recentRr.Average()));
        }

        if (r.BedPresence is { } present && !fault)
        {
            _presenceTotal++;
            _presenceCorrect += present == (inBed * 2 > truth.Count) ? 1 : 0;
        }

        if (r.ActivityCount is { } counts)
        {
            var expected = truth.Sum(p => p.Movement) * SimulatedBedSource.CountsPerMovementSecond;
            _countsSum += counts;
            _expectedCountsSum += expected;
            var moved = truth.Any(p => p.Movement >= 0.2);
            var detected = counts >= 5;
            if (moved && detected)
            {
                _movementTruePositive++;
            }
            else if (moved)
            {
                _movementFalseNegative++;
            }
            else if (detected)
            {
                _movementFalsePositive++;
            }
            else
            {
                _movementTrueNegative++;
            }
        }
    }

    private const int BcgWindow = Somnis.Edge.Sensors.Processing.BcgProcessor.RespirationWindowSeconds;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"intervals {_intervals}; HR MAE {HeartRateMae:F2} bpm over {HeartRateIntervals} intervals ({HeartRateWithin5:P1} within 5 bpm); " +
        $"valid in-bed seconds {ValidShare:P1}; RR MAE {RespirationMae:F2} /min over {RespirationIntervals} intervals; " +
        $"presence accuracy {PresenceAccuracy:P1}; movement sensitivity {MovementSensitivity:P1} specificity {MovementSpecificity:P1}; " +
        $"counts/expected {CountsRatio:F2}");
}

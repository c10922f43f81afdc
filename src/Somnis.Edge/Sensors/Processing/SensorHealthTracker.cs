using Somnis.Contracts;

namespace Somnis.Edge.Sensors.Processing;

/// <summary>Reasons a sensor is reported faulty (<see cref="SensorHealth.Reason"/>).</summary>
internal static class FaultReasons
{
    public const string Exception = "exception";
    public const string Crc = "crc";
    public const string Stale = "stale";
    public const string FlatLine = "flat-line";
    public const string OutOfRange = "out-of-range";
    public const string NotResponding = "not-responding";
}

/// <summary>
/// Health of one sensor over a reporting interval. A sensor is faulty for the interval if any reading in it threw,
/// failed its checksum, read out of physical range, or repeated the identical value for longer than is plausible
/// (the SHT3x trap: a driver that silently hands back its previous value). Its values are then withheld. The first
/// interval without any fault reports it healthy again.
/// </summary>
internal sealed class SensorHealthTracker(string name, double min, double max, double staleAfterSeconds)
{
    private double? _lastValue;
    private double _sameSince;
    private string? _fault;

    public string Name => name;

    /// <summary>A fault occurred in the current interval.</summary>
    public bool Faulty => _fault is not null;

    /// <summary>Records a reading taken at <paramref name="time"/> seconds; returns false if it is unusable.</summary>
    public bool Observe(double time, double value)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            _fault ??= FaultReasons.OutOfRange;
            _lastValue = null;
            return false;
        }

        if (_lastValue is { } last && last.Equals(value))
        {
            if (time - _sameSince > staleAfterSeconds)
            {
                _fault ??= FaultReasons.Stale;
                return false;
            }
        }
        else
        {
            _sameSince = time;
            _lastValue = value;
        }

        return true;
    }

    /// <summary>Records a failed reading (exception, checksum, flat line…).</summary>
    public void Fail(string reason)
    {
        _fault ??= reason;
        if (reason != FaultReasons.Stale)
        {
            _lastValue = null;
        }
    }

    /// <summary>The sensor's health for the interval just ended; starts a new interval.</summary>
    public SensorHealth EndInterval()
    {
        var health = new SensorHealth(name, _fault is null, _fault);
        _fault = null;
        return health;
    }
}

using System.Numerics;

namespace Somnis.Edge.Sensors.Processing;

/// <summary>
/// Actiwatch-compatible activity counts from a bed-frame accelerometer (docs/edge-sensing.md, "Activity counts"):
/// magnitude of the acceleration vector → band-pass 0.25–3 Hz (the band of body movement that actigraphs keep) →
/// rectify → dead band (the sensor's noise floor) → integrate → scale. The scale is calibrated so that one second of
/// full-intensity movement gives <see cref="Simulation.SimulatedBedSource.CountsPerMovementSecond"/> counts, the
/// same units the model-level simulation and the protocol use.
/// </summary>
internal sealed class ActivityCounter
{
    /// <summary>Counts per g·s of rectified band-passed acceleration above the dead band (calibration, see docs).</summary>
    public const double CountsPerGSecond = 1690;

    /// <summary>Rectified band-passed acceleration below this is the sensor's noise, g.</summary>
    public const double DeadBandG = 0.002;

    private readonly double _fs;
    private readonly FilterChain _band;
    private bool _primed;
    private double _sum;

    public ActivityCounter(double sampleRate)
    {
        _fs = sampleRate;
        _band = new FilterChain(Biquad.HighPass(sampleRate, 0.25), Biquad.LowPass(sampleRate, 3), Biquad.LowPass(sampleRate, 3));
    }

    /// <summary>Adds one acceleration sample, g.</summary>
    public void Add(Vector3 g)
    {
        double magnitude = g.Length();
        if (!_primed)
        {
            _band.Prime(magnitude);
            _primed = true;
        }

        var y = Math.Abs(_band.Process(magnitude));
        _sum += Math.Max(0, y - DeadBandG) / _fs;
    }

    /// <summary>Counts accumulated since the last call.</summary>
    public double TakeCounts()
    {
        var counts = _sum * CountsPerGSecond;
        _sum = 0;
        return Math.Round(counts, 1);
    }

    /// <summary>Forgets the filter state (after a fault).</summary>
    public void Reset()
    {
        _primed = false;
        _sum = 0;
    }
}

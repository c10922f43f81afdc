using Somnis.Contracts;

namespace Somnis.Edge.Sensing;

/// <summary>
/// What a bed's sensors measured over one interval. Null means "no valid value": a faulty or movement-corrupted
/// sensor withholds its value rather than repeating an old one.
/// <c>InterlockEngaged</c>: the Architect interlock relay cuts stimulation; <c>RoomHumidity</c> (%RH) and
/// <c>RoomMotion</c> (PIR) are measured in hardware mode and not (yet) part of the vitals message.
/// </summary>
internal sealed record BedReading(
    double? HeartRate,
    double? RespirationRate,
    double? ActivityCount,
    double? SkinTemperature,
    double? RoomTemperature,
    bool? BedPresence,
    double SignalQuality,
    bool ArchitectStimulating,
    IReadOnlyList<SensorHealth> Sensors,
    bool InterlockEngaged = false,
    double? RoomHumidity = null,
    bool? RoomMotion = null);

/// <summary>
/// Where a bed's readings come from: the real sensors (hardware mode) or a simulation. This is the seam between
/// sensing and publishing; each call covers the next <c>interval</c> of the source's own time.
/// </summary>
internal interface IBedSource : IDisposable
{
    /// <summary><c>hardware</c> or <c>simulated</c>, as published in the status.</summary>
    string Mode { get; }

    /// <summary>Set for simulated beds; published in the status so technicians know what they look at.</summary>
    SimulationInfo? Simulation { get; }

    /// <summary>Measures the next interval.</summary>
    BedReading Next(TimeSpan interval);

    /// <summary>Engages (true) or releases the Architect interlock: while engaged the Architect's stimulation is cut
    /// (hardware: the relay opens the stimulation line). Takes effect at once; may be called from another thread.</summary>
    void SetInterlock(bool engaged);
}

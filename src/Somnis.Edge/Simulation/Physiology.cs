namespace Somnis.Edge.Simulation;

/// <summary>Sleep stages of the latent model (AASM), plus out of bed.</summary>
public enum SleepStage
{
    OutOfBed,
    Wake,
    N1,
    N2,
    N3,
    Rem,
}

/// <summary>
/// The simulated sleeper's true state at one instant: the ground truth the sensors measure and accuracy tests compare with.
/// </summary>
/// <param name="Elapsed">Simulated time since the simulation started.</param>
/// <param name="Stage">True sleep stage.</param>
/// <param name="HeartRate">True heart rate, beats per minute.</param>
/// <param name="RespirationRate">True respiration rate, breaths per minute.</param>
/// <param name="Movement">Body movement intensity in this second, 0 (still) to 1 (turning over).</param>
/// <param name="SkinTemperature">Skin temperature, °C.</param>
/// <param name="RoomTemperature">Room temperature, °C.</param>
/// <param name="ArchitectStimulating">The Dream Architect is stimulating.</param>
/// <param name="Arousal">The sleeper is in an arousal (a few seconds to minutes of raised heart rate and movement).</param>
/// <param name="BcgFault">The simulated bed sensor is failing (sensor-fault scenario).</param>
public readonly record struct Physiology(
    TimeSpan Elapsed,
    SleepStage Stage,
    double HeartRate,
    double RespirationRate,
    double Movement,
    double SkinTemperature,
    double RoomTemperature,
    bool ArchitectStimulating,
    bool Arousal,
    bool BcgFault)
{
    public bool InBed => Stage != SleepStage.OutOfBed;

    public bool Asleep => Stage is SleepStage.N1 or SleepStage.N2 or SleepStage.N3 or SleepStage.Rem;
}

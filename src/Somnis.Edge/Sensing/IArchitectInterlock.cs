namespace Somnis.Edge.Sensing;

/// <summary>
/// The edge side of the Architect interlock (hardware/README.md, "Architect interlock"). The relay is fail-safe:
/// it cuts stimulation unless the edge keeps re-triggering it, so a crashed, hung or unpowered edge always cuts.
/// </summary>
internal interface IArchitectInterlock
{
    /// <summary>The interlock is engaged (stimulation cut), as commanded or because the edge cannot drive the relay.</summary>
    bool InterlockEngaged { get; }

    /// <summary>Engages (cuts stimulation) or releases the interlock; takes effect within 0.5 s (the relay monostable's hold time).</summary>
    void SetInterlock(bool engaged);
}

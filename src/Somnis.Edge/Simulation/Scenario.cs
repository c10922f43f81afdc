namespace Somnis.Edge.Simulation;

/// <summary>What a simulated bed lives through. Names are the <c>--scenario</c> values and appear in the bed's status.</summary>
public enum Scenario
{
    /// <summary>Normal sleep cycles; the Architect stimulates briefly in some REM periods without waking the sleeper.</summary>
    Healthy,

    /// <summary>The Architect stimulates for long stretches and keeps pulling the sleeper out of sleep: arousals,
    /// raised heart rate, fragmented sleep, no deep sleep while it runs.</summary>
    ArchitectDeprivation,

    /// <summary>A healthy sleeper whose bed sensor (BCG) fails for stretches of the night.</summary>
    SensorFault,

    /// <summary>Normal sleep cycles without a Dream Architect (the Companions program, or an Architect user's night with
    /// it switched off): no stimulation at all.</summary>
    Natural,
}

public static class Scenarios
{
    public static readonly IReadOnlyList<Scenario> All = [Scenario.Healthy, Scenario.ArchitectDeprivation, Scenario.SensorFault, Scenario.Natural];

    /// <summary>The demo's mix, repeated over the beds: two thirds healthy, the rest split between the problems.</summary>
    public static readonly IReadOnlyList<Scenario> Mix =
    [
        Scenario.Healthy, Scenario.ArchitectDeprivation, Scenario.Healthy, Scenario.Healthy,
        Scenario.SensorFault, Scenario.Healthy, Scenario.ArchitectDeprivation, Scenario.Healthy,
    ];

    public static string Name(this Scenario scenario) => scenario switch
    {
        Scenario.Healthy => "healthy",
        Scenario.ArchitectDeprivation => "architect-deprivation",
        Scenario.SensorFault => "sensor-fault",
        Scenario.Natural => "natural",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };

    public static bool TryParse(string? name, out Scenario scenario)
    {
        foreach (var s in All)
        {
            if (string.Equals(s.Name(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                scenario = s;
                return true;
            }
        }

        scenario = default;
        return false;
    }

    /// <summary>
    /// Scenario per bed from a <c>--scenario</c> value: one name for every bed, <c>mix</c> for the demo mix,
    /// or a comma-separated list assigned to the beds in turn.
    /// </summary>
    public static bool TryAssign(string spec, int bedCount, out Scenario[] perBed, out string? error)
    {
        perBed = new Scenario[bedCount];
        error = null;
        IReadOnlyList<Scenario> cycle;
        if (string.Equals(spec.Trim(), "mix", StringComparison.OrdinalIgnoreCase))
        {
            cycle = Mix;
        }
        else
        {
            var list = new List<Scenario>();
            foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TryParse(part, out var s))
                {
                    error = $"unknown scenario '{part}' (allowed: {string.Join(", ", All.Select(a => a.Name()))}, mix)";
                    return false;
                }

                list.Add(s);
            }

            if (list.Count == 0)
            {
                error = "no scenario given";
                return false;
            }

            cycle = list;
        }

        for (var i = 0; i < bedCount; i++)
        {
            perBed[i] = cycle[i % cycle.Count];
        }

        return true;
    }
}

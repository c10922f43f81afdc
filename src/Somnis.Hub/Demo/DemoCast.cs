using Somnis.Edge.Simulation;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Demo;

/// <summary>What a sleeper of the demo's story does about their Dream Architect.</summary>
internal enum DemoRole
{
    /// <summary>Sleeps with an Architect (program <c>architect</c>) and leaves it off on some nights.</summary>
    ArchitectUser,

    /// <summary>In the Companions program from the start: no Architect.</summary>
    Companion,

    /// <summary>Architect user who switches to the Companions program half-way through the history.</summary>
    Switcher,
}

/// <summary>One sleeper of the demo's story, admitted to one simulated bed.</summary>
/// <param name="Index">The bed's place in the fleet (bed-01 is 0).</param>
/// <param name="Live">The scenario of the bed's live nights (<c>Edge:Scenario</c> after <see cref="DemoCast.LiveScenario"/>).</param>
/// <param name="Bedtime">Usual lights-off, facility time; each past night varies around it.</param>
/// <param name="BaseHeartRate">The sleeper's N2 heart rate, bpm: the same person every night.</param>
/// <param name="Seed">The sleeper's seed, from <c>--seed</c> and the bed.</param>
internal sealed record DemoSleeper(
    int Index, string Bed, string Id, string Name, DemoRole Role, Scenario Live, TimeOnly Bedtime, double BaseHeartRate, int Seed)
{
    /// <summary>
    /// The program history for a history of <paramref name="historyNights"/> nights before <paramref name="tonight"/> (the
    /// live night's date): the program from the first night of the history (tonight when there is none); a switcher
    /// changes to Companions half-way (with fewer than two past nights: tonight, after an Architect night the day before).
    /// </summary>
    public IReadOnlyList<ProgramEntry> Programs(DateOnly tonight, int historyNights)
    {
        var first = tonight.AddDays(-historyNights);
        return Role switch
        {
            DemoRole.ArchitectUser => [new ProgramEntry(SleepProgram.Architect, first)],
            DemoRole.Companion => [new ProgramEntry(SleepProgram.Companions, first)],
            _ => [
                new ProgramEntry(SleepProgram.Architect, first < tonight ? first : tonight.AddDays(-1)),
                new ProgramEntry(SleepProgram.Companions, Min(first.AddDays(Math.Max(1, historyNights / 2)), tonight)),
            ],
        };
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}

/// <summary>
/// The demo's cast: one named sleeper per simulated bed, deterministic from <c>--seed</c>. Programs follow the beds' live
/// scenarios, so tonight agrees with the sleeper's history: an <c>architect-deprivation</c> bed holds an Architect user,
/// a <c>sensor-fault</c> bed (a sleeper without stimulation) a Companion, and a healthy bed in turn an Architect user
/// (whose Architect only shapes REM dreams tonight), a Companion or a switcher; a Companion's or switcher's healthy bed
/// runs without an Architect (<c>natural</c>).
/// </summary>
internal static class DemoCast
{
    private static readonly string[] FirstNames =
    [
        "Amara", "Bastian", "Chiara", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Idris", "Jonas", "Kaito", "Leilani",
        "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamsin", "Uchenna", "Valentina", "Wei", "Ximena",
        "Yusuf", "Zofia", "Anouk", "Bilal", "Camille", "Dalia", "Emeka", "Freya",
    ];

    private static readonly string[] LastNames =
    [
        "Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Haddad", "Fernandes", "Novak", "Mensah", "Bergman",
        "Rossi", "Nakamura", "O'Neill", "Petrov", "Abebe", "Castillo", "Yilmaz", "Schneider", "Nguyen", "Dubois",
        "Kaur", "Svensson", "Adeyemi", "Morales", "Ivanova", "Brennan", "Sato", "Delacroix", "Osei", "Varga", "Khalil", "Quinn",
    ];

    /// <summary>The scenario a bed runs live in the demo: a Companion's or switcher's healthy bed has no Architect. Applying
    /// it to its own result changes nothing, so the cast read back from <c>Edge:Scenario</c> is the same cast.</summary>
    public static Scenario LiveScenario(Scenario given, int index, int seed) =>
        given == Scenario.Healthy && RoleOf(given, index, seed) != DemoRole.ArchitectUser ? Scenario.Natural : given;

    public static DemoRole RoleOf(Scenario given, int index, int seed)
    {
        if (given == Scenario.ArchitectDeprivation)
        {
            return DemoRole.ArchitectUser;
        }

        if (given == Scenario.SensorFault)
        {
            return DemoRole.Companion;
        }

        // Healthy and natural beds take the three roles in turn (shifted by the seed); a natural bed has no Architect user.
        var turn = (((index + (long)seed) % 3) + 3) % 3;
        return turn switch
        {
            0 => given == Scenario.Natural ? DemoRole.Companion : DemoRole.ArchitectUser,
            1 => DemoRole.Companion,
            _ => DemoRole.Switcher,
        };
    }

    /// <summary>One sleeper per bed. <paramref name="scenarios"/>: each bed's live scenario, in bed order.</summary>
    public static IReadOnlyList<DemoSleeper> Create(IReadOnlyList<string> beds, IReadOnlyList<Scenario> scenarios, int seed)
    {
        ArgumentNullException.ThrowIfNull(beds);
        ArgumentNullException.ThrowIfNull(scenarios);
        var rng = new Random(seed);
        var first = Shuffled(FirstNames, rng);
        var last = Shuffled(LastNames, rng);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var cast = new List<DemoSleeper>(beds.Count);
        for (var i = 0; i < beds.Count; i++)
        {
            // A first name per bed, then each first name again with other surnames: unique for the first 1,024 beds.
            var name = $"{first[i % first.Length]} {last[(i + (i / first.Length)) % last.Length]}";
            var id = SleeperRules.IdFromName(name, ids.Contains);
            ids.Add(id);
            var bedtime = new TimeOnly(22, 0).AddMinutes(5 * rng.Next(0, 19));
            var heartRate = Math.Round(52 + (rng.NextDouble() * 12), 1);
            var sleeperSeed = unchecked((seed * 7919) + i);
            cast.Add(new DemoSleeper(i, beds[i], id, name, RoleOf(scenarios[i], i, seed), LiveScenario(scenarios[i], i, seed), bedtime, heartRate, sleeperSeed));
        }

        return cast;
    }

    private static string[] Shuffled(string[] names, Random rng)
    {
        var copy = (string[])names.Clone();
        rng.Shuffle(copy);
        return copy;
    }
}

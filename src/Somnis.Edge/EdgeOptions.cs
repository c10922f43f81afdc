using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Edge.Simulation;

namespace Somnis.Edge;

/// <summary>Edge settings, section <c>Edge</c>; every one can also be given on the command line (README, "Edge options").</summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>MQTT broker, <c>mqtt://HOST:PORT</c> (or <c>mqtts://</c> for TLS). <c>--broker</c>.</summary>
    public string Broker { get; set; } = "mqtt://127.0.0.1:1883";

    /// <summary>Broker user name (<c>--broker-username</c>); the device's own credentials in production.</summary>
    public string? BrokerUsername { get; set; }

    /// <summary>Broker password (<c>--broker-password</c>).</summary>
    public string? BrokerPassword { get; set; }

    /// <summary>Facility id, 1–64 of <c>[A-Za-z0-9_-]</c> (<c>--facility</c>).</summary>
    public string Facility { get; set; } = "nexus";

    /// <summary>This bed's id (<c>--bed</c>); in a simulated fleet the beds are named <c>bed-01</c>… instead.</summary>
    public string? Bed { get; set; }

    /// <summary>Number of simulated beds in this process (<c>--beds</c>, 0–5000); each has its own MQTT client.</summary>
    public int? Beds { get; set; }

    /// <summary><c>hardware</c> or <c>simulated</c> (<c>--mode</c>).</summary>
    public string Mode { get; set; } = "simulated";

    /// <summary>Scenario of the simulated beds (<c>--scenario</c>): a name, <c>mix</c>, or a comma list assigned in turn.</summary>
    public string Scenario { get; set; } = "healthy";

    /// <summary>Simulated seconds per real second (<c>--speed</c>, 0.1–100000).</summary>
    public double Speed { get; set; } = 1;

    /// <summary>Seed of the simulation (<c>--seed</c>); bed <c>i</c> uses a seed derived from it.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Length of one vitals interval, 1–60 s (<c>--interval</c>, as <c>00:00:10</c> or seconds).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Simulated time from start to a Dream Exchange fault that wakes a group of beds at once; unset for none.</summary>
    public TimeSpan? IncidentAt { get; set; }

    /// <summary>Share of the simulated beds hit by that fault, 0–1 (the first beds of the fleet).</summary>
    public double IncidentShare { get; set; } = 0.25;

    /// <summary>Time in bed per simulated night.</summary>
    public TimeSpan NightLength { get; set; } = TimeSpan.FromHours(8.5);

    /// <summary>Time out of bed between simulated nights.</summary>
    public TimeSpan DayLength { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Local safe rule of the Architect interlock (docs/alarms.md): when the edge has had no broker connection for
    /// commands this long (real time), it engages the interlock by itself until the connection is back. Default 2 min;
    /// 00:00:00 turns the rule off.</summary>
    public TimeSpan InterlockFailSafeAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Bed ids this process serves, in order.</summary>
    public IReadOnlyList<string> BedIds()
    {
        if (Beds is { } n)
        {
            var width = Math.Max(2, n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
            return [.. Enumerable.Range(1, n).Select(i => "bed-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width, '0'))];
        }

        return Bed is { Length: > 0 } bed ? [bed] : ["bed-01"];
    }
}

/// <summary>Checks every option at start-up and names the option (as its command-line flag) and the allowed range.</summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions o)
    {
        var errors = new List<string>();
        if (!BrokerAddress.TryParse(o.Broker, out _, out var brokerError))
        {
            errors.Add($"--broker: {brokerError}");
        }

        if (!Identifiers.IsValid(o.Facility))
        {
            errors.Add($"--facility must be 1-{Identifiers.MaxLength} characters of A-Z a-z 0-9 - _ (got '{o.Facility}')");
        }

        if (o.Bed is not null && !Identifiers.IsValid(o.Bed))
        {
            errors.Add($"--bed must be 1-{Identifiers.MaxLength} characters of A-Z a-z 0-9 - _ (got '{o.Bed}')");
        }

        if (o.Beds is { } beds && (beds < 0 || beds > 5000))
        {
            errors.Add($"--beds must be between 0 and 5000 (got {beds})");
        }

        if (o.Bed is not null && o.Beds is not null)
        {
            errors.Add("--bed and --beds exclude each other: give one bed id or a fleet size");
        }

        if (o.Mode is not ("hardware" or "simulated"))
        {
            errors.Add($"--mode must be 'hardware' or 'simulated' (got '{o.Mode}')");
        }

        if (o.Beds is > 1 && o.Mode == "hardware")
        {
            errors.Add("--beds is for simulated fleets; in hardware mode one process serves one bed (--bed)");
        }

        if (!Scenarios.TryAssign(o.Scenario, 1, out _, out var scenarioError))
        {
            errors.Add($"--scenario: {scenarioError}");
        }

        if (!double.IsFinite(o.Speed) || o.Speed < 0.1 || o.Speed > 100_000)
        {
            errors.Add($"--speed must be between 0.1 and 100000 (got {o.Speed})");
        }

        if (o.Mode == "hardware" && o.Speed != 1)
        {
            errors.Add("--speed must be 1 in hardware mode: real sensors run in real time");
        }

        if (o.Interval < TimeSpan.FromSeconds(1) || o.Interval > TimeSpan.FromSeconds(60))
        {
            errors.Add($"--interval must be between 1 and 60 seconds (got {o.Interval.TotalSeconds} s)");
        }

        if (o.IncidentShare is < 0 or > 1 || !double.IsFinite(o.IncidentShare))
        {
            errors.Add($"Edge:IncidentShare must be between 0 and 1 (got {o.IncidentShare})");
        }

        if (o.NightLength < TimeSpan.FromMinutes(30) || o.NightLength > TimeSpan.FromHours(16))
        {
            errors.Add($"Edge:NightLength must be between 00:30:00 and 16:00:00 (got {o.NightLength})");
        }

        if (o.DayLength < TimeSpan.FromMinutes(1) || o.DayLength > TimeSpan.FromHours(24))
        {
            errors.Add($"Edge:DayLength must be between 00:01:00 and 1.00:00:00 (got {o.DayLength})");
        }

        if (o.InterlockFailSafeAfter < TimeSpan.Zero || o.InterlockFailSafeAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"Edge:InterlockFailSafeAfter must be between 00:00:00 (off) and 01:00:00 (got {o.InterlockFailSafeAfter})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

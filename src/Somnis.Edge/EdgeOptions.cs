using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Mqtt;
using Somnis.Contracts.Settings;
using Somnis.Edge.Sensors;
using Somnis.Edge.Simulation;

namespace Somnis.Edge;

/// <summary>What the edge reads its vitals from (<c>--mode</c>).</summary>
public enum EdgeMode
{
    // 0 is left undefined: the configuration binder sees text that names no mode as 0 (Spellings).

    /// <summary>The bed's sensors, through the real drivers (on the Pi's buses, or on emulated chips).</summary>
    Hardware = 1,

    /// <summary>The sleeper model.</summary>
    Simulated = 2,
}

/// <summary>Edge settings, section <c>Edge</c>; every one can also be given on the command line (README, "Edge options").
/// Bounds are the attributes on the properties; <see cref="EdgeOptionsValidator.Rules"/> has what one attribute cannot say.</summary>
public sealed class EdgeOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Edge";

    /// <summary>MQTT broker, <c>mqtt://HOST:PORT</c> (or <c>mqtts://</c> for TLS), or a comma-separated list of the nodes
    /// of a clustered broker in order of preference: a failed connection moves on to the next (<c>--broker</c>).</summary>
    /// <value>Default <c>mqtt://127.0.0.1:1883</c>.</value>
    public string Broker { get; set; } = "mqtt://127.0.0.1:1883";

    /// <summary>MQTT protocol version (<c>--mqtt-version</c>): <c>3.1.1</c> for brokers that speak nothing newer
    /// (nats-server). With 3.1.1 the session is kept with CleanSession = false and the broker decides for how long
    /// (<see cref="SessionExpiry"/> applies to MQTT 5 only).</summary>
    /// <value><c>5</c> or <c>3.1.1</c>. Default <c>5</c>.</value>
    [Defined(Flag = "--mqtt-version", Allowed = MqttVersions.Allowed)]
    public MqttVersion MqttVersion { get; set; } = MqttVersion.V5;

    /// <summary>Broker user name (<c>--broker-username</c>); the device's own credentials in production.</summary>
    public string? BrokerUsername { get; set; }

    /// <summary>Broker password (<c>--broker-password</c>).</summary>
    public string? BrokerPassword { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate, for <c>mqtts://</c> with a private facility CA
    /// (<c>--broker-ca</c>, deploy/new-facility.sh). Unset: the system's trusted roots.</summary>
    public string? BrokerCaCertificate { get; set; }

    /// <summary>Facility id (<c>--facility</c>).</summary>
    /// <value>1–64 of <c>[A-Za-z0-9_-]</c>. Default <c>nexus</c>.</value>
    [Identifier(Flag = "--facility")]
    public string Facility { get; set; } = "nexus";

    /// <summary>This bed's id (<c>--bed</c>); in a simulated fleet the beds are named <c>bed-01</c>… instead.</summary>
    /// <value>1–64 of <c>[A-Za-z0-9_-]</c>. Default unset (<c>bed-01</c>).</value>
    [Identifier(Flag = "--bed")]
    public string? Bed { get; set; }

    /// <summary>Number of simulated beds in this process (<c>--beds</c>); each has its own MQTT client.</summary>
    /// <value>Beds. Default unset (one bed, <see cref="Bed"/>).</value>
    [Bounds(0, 5000, Flag = "--beds")]
    public int? Beds { get; set; }

    /// <summary>Real sensors or the simulator (<c>--mode</c>), read case-insensitively.</summary>
    /// <value><c>hardware</c> or <c>simulated</c>. Default <c>simulated</c>.</value>
    [Defined(Flag = "--mode")]
    public EdgeMode Mode { get; set; } = EdgeMode.Simulated;

    /// <summary>Scenario of the simulated beds (<c>--scenario</c>): a name of <see cref="Scenario"/> (<c>healthy</c>,
    /// <c>architect-deprivation</c>, <c>sensor-fault</c>), <c>mix</c>, or a comma list assigned in turn; so a text, checked by
    /// <see cref="Scenarios.TryAssign"/>.</summary>
    /// <value>Default <c>healthy</c>.</value>
    public string Scenario { get; set; } = "healthy";

    /// <summary>Simulated seconds per real second (<c>--speed</c>).</summary>
    /// <value>Default 1.</value>
    [Bounds(0.1, 100_000.0, Flag = "--speed")]
    public double Speed { get; set; } = 1;

    /// <summary>Seed of the simulation (<c>--seed</c>); bed <c>i</c> uses a seed derived from it.</summary>
    /// <value>Default 1.</value>
    public int Seed { get; set; } = 1;

    /// <summary>Length of one vitals interval (<c>--interval</c>, as <c>00:00:10</c>).</summary>
    /// <value>Default 10 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "00:01:00", Flag = "--interval")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Simulated time from start to a Dream Exchange fault that wakes a group of beds at once (<c>--incident-at</c>).</summary>
    /// <value>Default unset: none.</value>
    public TimeSpan? IncidentAt { get; set; }

    /// <summary>Share of the simulated beds hit by that fault (the first beds of the fleet).</summary>
    /// <value>A fraction. Default 0.25.</value>
    [Bounds(0.0, 1.0)]
    public double IncidentShare { get; set; } = 0.25;

    /// <summary>Time in bed per simulated night.</summary>
    /// <value>Default 8.5 h.</value>
    [Bounds(typeof(TimeSpan), "00:30:00", "16:00:00")]
    public TimeSpan NightLength { get; set; } = TimeSpan.FromHours(8.5);

    /// <summary>Time out of bed between simulated nights.</summary>
    /// <value>Default 1 h.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan DayLength { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Simulation depth, section <c>Edge:Simulation</c>: <c>Level</c> = <c>model</c> or <c>chips</c>
    /// (<c>--simulation-level</c>, or <c>--emulate-chips</c> for <c>chips</c>).</summary>
    [ValidateObjectMembers]
    public EdgeSimulationOptions Simulation { get; set; } = new();

    /// <summary>This bed's sensors in hardware mode, section <c>Edge:Sensors</c> (hardware/README.md).</summary>
    public SensorsOptions? Sensors { get; set; }

    /// <summary>
    /// Directory of the crash-safe store-and-forward journal (<c>--journal</c>); each bed journals under
    /// <c>DIR/{facility}/{bed}/</c>. Unset: undelivered data is held in memory only (lost if the edge restarts).
    /// Created at start-up (<see cref="Publishing.JournalDirectory"/>); one that cannot be created and written stops the
    /// edge naming it.
    /// </summary>
    /// <value>A directory path. Default unset.</value>
    [NotBlank(Flag = "--journal", AllowUnset = true, Requirement = "must name a directory")]
    public string? Journal { get; set; }

    /// <summary>Size bound of one bed's journal (<c>--journal-max-bytes</c>). When reached, the oldest undelivered data is
    /// dropped and reported as a gap.</summary>
    /// <value>Bytes. Default 64 MiB (about 22 days of one bed at 10 s intervals).</value>
    [Bounds(65_536L, 64L * 1024 * 1024 * 1024, Flag = "--journal-max-bytes", Unit = "bytes")]
    public long JournalMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Age bound of undelivered data, real time since journaled (<c>--journal-max-age</c>).</summary>
    /// <value>Default 7 days.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "90.00:00:00", Flag = "--journal-max-age")]
    public TimeSpan JournalMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Size of one journal segment file, at most a quarter of <see cref="JournalMaxBytes"/>. A segment is deleted
    /// when all its messages are delivered; a size-bound drop removes the oldest segment whole.</summary>
    /// <value>Bytes. Default 1 MiB.</value>
    [Bounds(4096L, 256L * 1024 * 1024, Unit = "bytes")]
    public long JournalSegmentBytes { get; set; } = 1024 * 1024;

    /// <summary>fsync batching: at most this long between a journal write and its fsync. A message is published only after
    /// its fsync, so this is also the extra latency a message can see.</summary>
    /// <value>Default 100 ms.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan JournalFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>fsync batching: fsync at once when this many bytes were written since the last fsync.</summary>
    /// <value>Bytes. Default 64 KiB.</value>
    [Bounds(512L, 64L * 1024 * 1024, Unit = "bytes")]
    public long JournalFlushBytes { get; set; } = 64 * 1024;

    /// <summary>Replay budget per bed after a reconnect (<c>--replay-rate</c>). Live messages are never held back by the
    /// replay; see docs/operations.md, "Delivery".</summary>
    /// <value>Messages per second. Default 200.</value>
    [Bounds(1.0, 100_000.0, Flag = "--replay-rate", Unit = "messages/s")]
    public double ReplayRate { get; set; } = 200;

    /// <summary>How often the retained status (with the backlog and clock quality) is republished.</summary>
    /// <value>Default 30 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>MQTT keep-alive; a dead connection is noticed after about 1.5 times this.</summary>
    /// <value>Default 15 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the broker keeps this bed's MQTT session while it is away (clean start off). MQTT 5 only: with
    /// 3.1.1 the broker's own setting applies.</summary>
    /// <value>Default 1 day.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Longest wait between reconnect attempts of the bed's connections (jittered exponential backoff from 250 ms,
    /// docs/operations.md "Broker connection").</summary>
    /// <value>Default 30 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock quality to report. Unset: hardware mode asks the OS (<c>timedatectl</c>); simulated mode reports
    /// synchronised. Set to false to simulate an edge whose clock is not synchronised.</summary>
    public bool? ClockSynchronised { get; set; }

    /// <summary>Local safe rule of the Architect interlock (docs/alarms.md): when the edge has had no broker connection for
    /// commands this long (real time), it engages the interlock by itself until the connection is back. 00:00:00 turns
    /// the rule off.</summary>
    /// <value>Default 2 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "01:00:00")]
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

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        EdgeOptionsValidator.Rules(this).Select(e => new ValidationResult(e));

    /// <summary>The section as the configuration binder should read it: the MQTT version and the modes are spelled as users
    /// write them, and text that names no value binds as 0 and fails validation naming the setting (<see cref="Spellings"/>).</summary>
    internal static IConfiguration Spelled(IConfiguration section) => Spellings.View(section, new Dictionary<string, Func<string, string?>>
    {
        [nameof(MqttVersion)] = MqttVersions.Spell,
        [nameof(Mode)] = Spellings.Enum<EdgeMode>(),
        [$"{nameof(Simulation)}:{nameof(EdgeSimulationOptions.Level)}"] = Spellings.Enum<SimulationLevel>(),
    });
}

/// <summary>How modes are written in settings, logs and the status message.</summary>
public static class EdgeModes
{
    public static string Label(this EdgeMode mode) => mode == EdgeMode.Hardware ? "hardware" : "simulated";
}

/// <summary>
/// Generated from <see cref="EdgeOptions"/>' attributes (each message names the flag, the key and the allowed range), plus
/// <see cref="Rules"/>. It reads what it checks (a CA file, device nodes) and writes nothing: the journal directory is
/// created at start-up.
/// </summary>
[OptionsValidator]
internal sealed partial class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    /// <summary>What one attribute cannot say: lists that must parse, and settings that depend on each other.</summary>
    internal static List<string> Rules(EdgeOptions o)
    {
        var errors = new List<string>();
        if (!BrokerAddress.TryParseList(o.Broker, out _, out var brokerError))
        {
            errors.Add($"--broker (Edge:Broker): {brokerError}");
        }

        if (o.BrokerCaCertificate is not null && BrokerTls.Problem(o.BrokerCaCertificate) is { } caProblem)
        {
            errors.Add($"--broker-ca (Edge:BrokerCaCertificate): {caProblem}");
        }

        if (o.Bed is not null && o.Beds is not null)
        {
            errors.Add("--bed and --beds exclude each other: give one bed id or a fleet size");
        }

        if (o.Beds is > 1 && o.Mode == EdgeMode.Hardware)
        {
            errors.Add("--beds is for simulated fleets; in hardware mode one process serves one bed (--bed)");
        }

        if (!Scenarios.TryAssign(o.Scenario, 1, out _, out var scenarioError))
        {
            errors.Add($"--scenario (Edge:Scenario): {scenarioError}");
        }

        var chips = o.Simulation.Level == SimulationLevel.Chips;
        if (o.Mode == EdgeMode.Hardware && o.Speed != 1 && !chips)
        {
            errors.Add("--speed (Edge:Speed) must be 1 in hardware mode: real sensors run in real time (emulated chips allow up to 100)");
        }

        if (chips && o.Speed > 100)
        {
            errors.Add($"--speed (Edge:Speed) must be at most 100 with emulated chips: the real drivers sample 128 times per simulated second (got {o.Speed})");
        }

        if (chips && o.Beds is > 50)
        {
            errors.Add($"--beds (Edge:Beds) must be at most 50 with emulated chips (got {o.Beds}); use --simulation-level model for fleets");
        }

        if (o.Mode == EdgeMode.Hardware || chips)
        {
            SensorsOptionsValidator.Validate(o.Sensors, chips, File.Exists, errors);
        }

        if (o.JournalSegmentBytes > o.JournalMaxBytes / 4)
        {
            errors.Add($"Edge:JournalSegmentBytes ({o.JournalSegmentBytes}) must be at most a quarter of --journal-max-bytes (Edge:JournalMaxBytes, {o.JournalMaxBytes})");
        }

        return errors;
    }
}

using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;
using Somnis.Edge.Sensors;
using Somnis.Edge.Simulation;

namespace Somnis.Edge;

/// <summary>Edge settings, section <c>Edge</c>; every one can also be given on the command line (README, "Edge options").</summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>MQTT broker, <c>mqtt://HOST:PORT</c> (or <c>mqtts://</c> for TLS), or a comma-separated list of the nodes
    /// of a clustered broker in order of preference: a failed connection moves on to the next (<c>--broker</c>).</summary>
    public string Broker { get; set; } = "mqtt://127.0.0.1:1883";

    /// <summary>MQTT protocol version, <c>5</c> (default) or <c>3.1.1</c> for brokers that speak nothing newer (nats-server)
    /// (<c>--mqtt-version</c>). With 3.1.1 the session is kept with CleanSession = false and the broker decides for how
    /// long (<see cref="SessionExpiry"/> applies to MQTT 5 only).</summary>
    public MqttVersion MqttVersion { get; set; } = MqttVersion.V5;

    /// <summary>Broker user name (<c>--broker-username</c>); the device's own credentials in production.</summary>
    public string? BrokerUsername { get; set; }

    /// <summary>Broker password (<c>--broker-password</c>).</summary>
    public string? BrokerPassword { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate, for <c>mqtts://</c> with a private facility CA
    /// (<c>--broker-ca</c>, deploy/new-facility.sh). Unset: the system's trusted roots.</summary>
    public string? BrokerCaCertificate { get; set; }

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

    /// <summary>Simulation depth, section <c>Edge:Simulation</c>: <c>Level</c> = <c>model</c> or <c>chips</c>
    /// (<c>--simulation-level</c>, or <c>--emulate-chips</c> for <c>chips</c>).</summary>
    public EdgeSimulationOptions Simulation { get; set; } = new();

    /// <summary>This bed's sensors in hardware mode, section <c>Edge:Sensors</c> (hardware/README.md).</summary>
    public SensorsOptions? Sensors { get; set; }
    /// <summary>
    /// Directory of the crash-safe store-and-forward journal (<c>--journal</c>); each bed journals under
    /// <c>DIR/{facility}/{bed}/</c>. Unset: undelivered data is held in memory only (lost if the edge restarts).
    /// The directory must be writable, or the edge stops at start-up naming it.
    /// </summary>
    public string? Journal { get; set; }

    /// <summary>Size bound of one bed's journal, bytes (<c>--journal-max-bytes</c>, 65536–68719476736). Default 64 MiB
    /// (about 22 days of one bed at 10 s intervals). When reached, the oldest undelivered data is dropped and reported as a gap.</summary>
    public long JournalMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Age bound of undelivered data (real time since journaled) (<c>--journal-max-age</c>, 00:01:00–90.00:00:00). Default 7 days.</summary>
    public TimeSpan JournalMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Size of one journal segment file, bytes (4096–268435456, at most a quarter of the size bound). Default 1 MiB.
    /// A segment is deleted when all its messages are delivered; a size-bound drop removes the oldest segment whole.</summary>
    public long JournalSegmentBytes { get; set; } = 1024 * 1024;

    /// <summary>fsync batching: at most this long between a journal write and its fsync (00:00:00.001–00:00:10). Default 100 ms.
    /// A message is published only after its fsync, so this is also the extra latency a message can see.</summary>
    public TimeSpan JournalFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>fsync batching: fsync at once when this many bytes were written since the last fsync (512–67108864). Default 64 KiB.</summary>
    public long JournalFlushBytes { get; set; } = 64 * 1024;

    /// <summary>Replay budget per bed after a reconnect, messages per second (<c>--replay-rate</c>, 1–100000). Default 200.
    /// Live messages are never held back by the replay; see docs/operations.md, "Delivery".</summary>
    public double ReplayRate { get; set; } = 200;

    /// <summary>How often the retained status (with the backlog and clock quality) is republished (1 s–1 h). Default 30 s.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>MQTT keep-alive; a dead connection is noticed after about 1.5 times this (1 s–10 min). Default 15 s.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the broker keeps this bed's MQTT session while it is away (clean start off) (1 min–7 days). Default 1 day.
    /// MQTT 5 only: with 3.1.1 the broker's own setting applies.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Longest wait between reconnect attempts of the bed's connections (jittered exponential backoff from 250 ms,
    /// docs/operations.md "Broker connection") (100 ms–10 min). Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock quality to report. Unset: hardware mode asks the OS (<c>timedatectl</c>); simulated mode reports
    /// synchronised. Set to false to simulate an edge whose clock is not synchronised.</summary>
    public bool? ClockSynchronised { get; set; }

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
        if (!BrokerAddress.TryParseList(o.Broker, out _, out var brokerError))
        {
            errors.Add($"--broker: {brokerError}");
        }

        if (!MqttVersions.IsValid(o.MqttVersion))
        {
            errors.Add($"--mqtt-version (Edge:MqttVersion) must be {MqttVersions.Allowed}");
        }

        if (!Identifiers.IsValid(o.Facility))
        {
            errors.Add($"--facility must be 1-{Identifiers.MaxLength} characters of A-Z a-z 0-9 - _ (got '{o.Facility}')");
        }

        if (o.BrokerCaCertificate is not null && BrokerTls.Problem(o.BrokerCaCertificate) is { } caProblem)
        {
            errors.Add($"--broker-ca (Edge:BrokerCaCertificate): {caProblem}");
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

        var chips = string.Equals(o.Simulation?.Level, EdgeSimulationOptions.Chips, StringComparison.OrdinalIgnoreCase);
        if (o.Simulation?.Level is not { } level || !(chips || string.Equals(level, EdgeSimulationOptions.Model, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"--simulation-level (Edge:Simulation:Level) must be 'model' or 'chips' (got '{o.Simulation?.Level}')");
        }

        if (o.Mode == "hardware" && o.Speed != 1 && !chips)
        {
            errors.Add("--speed must be 1 in hardware mode: real sensors run in real time (emulated chips allow up to 100)");
        }

        if (chips && o.Speed > 100)
        {
            errors.Add($"--speed must be at most 100 with emulated chips: the real drivers sample 128 times per simulated second (got {o.Speed})");
        }

        if (chips && o.Beds is > 50)
        {
            errors.Add($"--beds must be at most 50 with emulated chips (got {o.Beds}); use --simulation-level model for fleets");
        }

        if (o.Mode == "hardware" || chips)
        {
            SensorsOptionsValidator.Validate(o.Sensors, chips, File.Exists, errors);
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

        ValidateDelivery(o, errors);

        if (o.InterlockFailSafeAfter < TimeSpan.Zero || o.InterlockFailSafeAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"Edge:InterlockFailSafeAfter must be between 00:00:00 (off) and 01:00:00 (got {o.InterlockFailSafeAfter})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateDelivery(EdgeOptions o, List<string> errors)
    {
        if (o.Journal is { } dir)
        {
            if (string.IsNullOrWhiteSpace(dir))
            {
                errors.Add("--journal must name a directory");
            }
            else if (JournalDirectoryError(dir) is { } error)
            {
                errors.Add($"--journal: directory '{dir}' is not writable: {error}");
            }
        }

        if (o.JournalMaxBytes is < 65_536 or > 64L * 1024 * 1024 * 1024)
        {
            errors.Add($"--journal-max-bytes (Edge:JournalMaxBytes) must be between 65536 and 68719476736 bytes (got {o.JournalMaxBytes})");
        }

        if (o.JournalMaxAge < TimeSpan.FromMinutes(1) || o.JournalMaxAge > TimeSpan.FromDays(90))
        {
            errors.Add($"--journal-max-age (Edge:JournalMaxAge) must be between 00:01:00 and 90.00:00:00 (got {o.JournalMaxAge})");
        }

        if (o.JournalSegmentBytes < 4096 || o.JournalSegmentBytes > 256L * 1024 * 1024 || o.JournalSegmentBytes > o.JournalMaxBytes / 4)
        {
            errors.Add($"Edge:JournalSegmentBytes must be between 4096 and 268435456 bytes and at most a quarter of Edge:JournalMaxBytes (got {o.JournalSegmentBytes})");
        }

        if (o.JournalFlushInterval < TimeSpan.FromMilliseconds(1) || o.JournalFlushInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add($"Edge:JournalFlushInterval must be between 00:00:00.001 and 00:00:10 (got {o.JournalFlushInterval})");
        }

        if (o.JournalFlushBytes is < 512 or > 64L * 1024 * 1024)
        {
            errors.Add($"Edge:JournalFlushBytes must be between 512 and 67108864 bytes (got {o.JournalFlushBytes})");
        }

        if (!double.IsFinite(o.ReplayRate) || o.ReplayRate < 1 || o.ReplayRate > 100_000)
        {
            errors.Add($"--replay-rate (Edge:ReplayRate) must be between 1 and 100000 messages/s (got {o.ReplayRate})");
        }

        if (o.StatusInterval < TimeSpan.FromSeconds(1) || o.StatusInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"Edge:StatusInterval must be between 00:00:01 and 01:00:00 (got {o.StatusInterval})");
        }

        if (o.KeepAlive < TimeSpan.FromSeconds(1) || o.KeepAlive > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Edge:KeepAlive must be between 00:00:01 and 00:10:00 (got {o.KeepAlive})");
        }

        if (o.SessionExpiry < TimeSpan.FromMinutes(1) || o.SessionExpiry > TimeSpan.FromDays(7))
        {
            errors.Add($"Edge:SessionExpiry must be between 00:01:00 and 7.00:00:00 (got {o.SessionExpiry})");
        }

        if (o.ReconnectMaxDelay < TimeSpan.FromMilliseconds(100) || o.ReconnectMaxDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Edge:ReconnectMaxDelay must be between 00:00:00.1 and 00:10:00 (got {o.ReconnectMaxDelay})");
        }
    }

    /// <summary>Creates the directory and writes, fsyncs and deletes a probe file; the error text, or null when writable.</summary>
    internal static string? JournalDirectoryError(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, ".write-probe");
            using (var f = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                f.WriteByte(1);
                f.Flush(flushToDisk: true);
            }

            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return ex.Message;
        }
    }
}

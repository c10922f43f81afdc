using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Alarms;

/// <summary>Rationalisation of one alarm type (section <c>Alarms:Types:{type}</c>; defaults in docs/alarms.md).</summary>
public sealed class AlarmTypeSettings
{
    /// <summary>False turns the type off (no alarm is raised; out of service by configuration).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>high</c>, <c>medium</c> or <c>low</c>.</summary>
    public string Priority { get; set; } = AlarmPriorities.Medium;

    /// <summary>A latching alarm that clears while unacknowledged stays <c>cleared-unacknowledged</c> until acknowledged;
    /// a non-latching one returns to normal by itself.</summary>
    public bool Latching { get; set; }

    /// <summary>The condition must hold this long before the alarm is raised (on the type's clock, docs/alarms.md). 0 = at once.</summary>
    /// <value>Default per type (docs/alarms.md, table "Types").</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "02:00:00")]
    public TimeSpan OnDelay { get; set; }

    /// <summary>The condition must stay clear this long before the alarm clears; a return within it keeps the same alarm active.</summary>
    /// <value>Default per type.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "02:00:00")]
    public TimeSpan OffDelay { get; set; }

    /// <summary>Hysteresis for numeric conditions, in the condition's unit (clock-skew: seconds): the alarm raised above the
    /// limit clears only below limit − deadband. Not used by boolean conditions.</summary>
    /// <value>Default per type (clock-skew: 1).</value>
    [Bounds(0.0, 3600.0)]
    public double Deadband { get; set; }

    /// <summary>An acknowledged alarm whose condition still holds after this long (hub time) is annunciated again
    /// (back to active-unacknowledged). 0 = never.</summary>
    /// <value>Default per type.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ReAlarm { get; set; }

    /// <summary>While a facility incident covering the bed is open, a new alarm of this type is grouped under it.</summary>
    public bool GroupUnderIncident { get; set; }

    internal AlarmTypeSettings Clone() => (AlarmTypeSettings)MemberwiseClone();
}

/// <summary>Alarm management settings (section <c>Alarms</c>, docs/alarms.md).</summary>
public sealed class AlarmOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Alarms";

    /// <summary>Per-type rationalisation; a type not listed uses <see cref="Defaults"/>; a listed type overrides only what it sets.</summary>
    public Dictionary<string, AlarmTypeSettings> Types { get; set; } = [];

    /// <summary>How often the hub-time work runs (escalation, shelve expiry, re-alarm, liveness and sensor checks).</summary>
    /// <value>Default 500 ms.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan TickPeriod { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>An unacknowledged high-priority alarm is annunciated again after this long (hub time).</summary>
    /// <value>Default 2 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:10", "02:00:00")]
    public TimeSpan RenotifyAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>…and escalated to supervisors after this long (hub time, from the annunciation); must exceed <see cref="RenotifyAfter"/>.</summary>
    /// <value>Default 5 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:10", "04:00:00")]
    public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest a technician or supervisor may shelve an alarm.</summary>
    /// <value>Default 8 h (one night shift).</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan MaxShelve { get; set; } = TimeSpan.FromHours(8);

    /// <summary>An assessment whose event time is older than the bed's newest event time minus this bound never opens a new alarm
    /// (late, backfilled data about something long over).</summary>
    /// <value>Default 30 min: above the scorer's ≈ 11.5 min lag.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan LateBound { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>An alarm raised this many times within <see cref="ChatterWindow"/> (its clock) is marked chattering.</summary>
    /// <value>Raises. Default 3 (ISA-18.2: ≥ 3 per minute).</value>
    [Bounds(2, 100)]
    public int ChatterCount { get; set; } = 3;

    /// <summary>The window of <see cref="ChatterCount"/>.</summary>
    /// <value>Default 1 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan ChatterWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Per-bed alarms of groupable types raised up to this long (event time) before a facility incident are grouped under it.</summary>
    /// <value>Default 15 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "02:00:00")]
    public TimeSpan IncidentGroupWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Clock-skew limit (|device − hub|) above which <c>clock-skew</c> is raised.</summary>
    /// <value>Seconds. Default 5.</value>
    [Bounds(0.1, 3600.0, Unit = "seconds")]
    public double ClockSkewLimitSeconds { get; set; } = 5;

    /// <summary>Pause a bed's Architect automatically when a high-priority <c>architect-deprivation</c> is raised. Default off (the demo turns it on).</summary>
    public bool AutoInterlock { get; set; }

    /// <summary>Publish alarm states to <c>somnis/{facility}/alarms/{id}</c> (retained). Default on.</summary>
    public bool PublishMqtt { get; set; } = true;

    /// <summary>Optional webhook: every alarm state change is POSTed as JSON.</summary>
    [ValidateObjectMembers]
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>The built-in defaults per type (docs/alarms.md, table "Types").</summary>
    public static IReadOnlyDictionary<string, AlarmTypeSettings> Defaults { get; } = new Dictionary<string, AlarmTypeSettings>
    {
        [AlarmTypes.ArchitectDeprivation] = new() { Priority = AlarmPriorities.High, Latching = true, OffDelay = TimeSpan.FromMinutes(10), ReAlarm = TimeSpan.FromMinutes(30) },
        [AlarmTypes.AcuteSleepLoss] = new() { Priority = AlarmPriorities.Medium, Latching = true, OffDelay = TimeSpan.FromMinutes(10), GroupUnderIncident = true },
        [AlarmTypes.SustainedArousal] = new() { Priority = AlarmPriorities.Medium, Latching = false, OffDelay = TimeSpan.FromMinutes(5), GroupUnderIncident = true },
        [AlarmTypes.FacilityIncident] = new() { Priority = AlarmPriorities.High, Latching = true },
        [AlarmTypes.EdgeOffline] = new() { Priority = AlarmPriorities.Medium, OnDelay = TimeSpan.FromSeconds(30) },
        [AlarmTypes.SensorFault] = new() { Priority = AlarmPriorities.Medium, OnDelay = TimeSpan.FromMinutes(1), OffDelay = TimeSpan.FromMinutes(2) },
        [AlarmTypes.StaleData] = new() { Priority = AlarmPriorities.Low, OffDelay = TimeSpan.FromSeconds(10) },
        [AlarmTypes.DataGap] = new() { Priority = AlarmPriorities.Low, Latching = true },
        [AlarmTypes.ClockSkew] = new() { Priority = AlarmPriorities.Low, OnDelay = TimeSpan.FromMinutes(1), OffDelay = TimeSpan.FromMinutes(1), Deadband = 1 },
    };

    /// <summary>The effective settings of a type: the configured ones (bound over the defaults) or the defaults.</summary>
    internal AlarmTypeSettings For(string type) =>
        Types.TryGetValue(type, out var s) ? s : Defaults.TryGetValue(type, out var d) ? d : new AlarmTypeSettings();

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        AlarmOptionsValidator.Rules(this).Select(e => new ValidationResult(e));
}

/// <summary>The optional alarm webhook (section <c>Alarms:Webhook</c>).</summary>
public sealed class WebhookOptions : ISettingsSection
{
    /// <summary>http(s) URL that receives a POST per alarm state change; unset = no webhook.</summary>
    public string? Url { get; set; }

    /// <summary>Attempts per notification before it is dead-lettered (counted, logged).</summary>
    /// <value>Default 5.</value>
    [Bounds(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay (exponential with jitter after it).</summary>
    /// <value>Default 1 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of one attempt.</summary>
    /// <value>Default 5 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    string ISettingsSection.SectionPath => $"{AlarmOptions.Section}:Webhook";
}

/// <summary>Fills each configured type with the defaults for what it does not set, so <c>Alarms:Types:x:OnDelay</c> alone changes only the on-delay.</summary>
internal sealed class AlarmOptionsSetup(IConfiguration configuration) : IConfigureOptions<AlarmOptions>
{
    public void Configure(AlarmOptions options)
    {
        var section = configuration.GetSection(AlarmOptions.Section);
        section.Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        var types = new Dictionary<string, AlarmTypeSettings>(StringComparer.Ordinal);
        foreach (var (type, defaults) in AlarmOptions.Defaults)
        {
            var s = defaults.Clone();
            section.GetSection($"Types:{type}").Bind(s);
            types[type] = s;
        }

        foreach (var child in section.GetSection("Types").GetChildren().Where(c => !types.ContainsKey(c.Key)))
        {
            // Unknown type names are kept so the validator can name them.
            var s = new AlarmTypeSettings();
            child.Bind(s);
            types[child.Key] = s;
        }

        options.Types = types;
    }
}

/// <summary>Generated from <see cref="AlarmOptions"/>' attributes (with the webhook's), plus <see cref="Rules"/>.</summary>
[OptionsValidator]
internal sealed partial class AlarmOptionsValidator : IValidateOptions<AlarmOptions>
{
    private static readonly AlarmTypeSettingsValidator TypeSettings = new();

    /// <summary>Each configured type (known name, priority, its own bounds), escalation after renotification, the webhook's URL.</summary>
    internal static List<string> Rules(AlarmOptions o)
    {
        var errors = new List<string>();
        foreach (var (type, s) in o.Types)
        {
            var p = $"Alarms:Types:{type}";
            if (!AlarmTypes.All.Contains(type))
            {
                errors.Add($"Alarms:Types: '{type}' is not an alarm type (known: {string.Join(", ", AlarmTypes.All)})");
                continue;
            }

            if (!AlarmPriorities.All.Contains(s.Priority))
            {
                errors.Add($"{p}:Priority must be high, medium or low (got '{s.Priority}')");
            }

            // Named by its key, so the attributes' messages say Alarms:Types:{type}:OnDelay.
            if (TypeSettings.Validate(p, s) is { Failed: true } bounds)
            {
                errors.AddRange(bounds.Failures);
            }
        }

        if (o.EscalateAfter <= o.RenotifyAfter)
        {
            errors.Add($"Alarms:EscalateAfter ({o.EscalateAfter:c}) must be longer than Alarms:RenotifyAfter ({o.RenotifyAfter:c})");
        }

        var w = o.Webhook;
        if (!string.IsNullOrWhiteSpace(w.Url) && !(Uri.TryCreate(w.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
        {
            errors.Add($"Alarms:Webhook:Url must be an absolute http(s) URL (got '{w.Url}')");
        }

        return errors;
    }
}

/// <summary>Generated from <see cref="AlarmTypeSettings"/>' attributes; called per configured type by <see cref="AlarmOptionsValidator.Rules"/>.</summary>
[OptionsValidator]
internal sealed partial class AlarmTypeSettingsValidator : IValidateOptions<AlarmTypeSettings>;

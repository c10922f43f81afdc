using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Detection;

/// <summary>Live detection settings (section <c>Detection</c>); rules and references in docs/detection.md.</summary>
public sealed class DetectionOptions : ISettingsSection
{
    public const string Section = "Detection";

    /// <summary>Sleep need per night (AASM/SRS: 7 h).</summary>
    /// <value>Hours. Default 7.</value>
    [Bounds(4.0, 12.0, Unit = "hours")]
    public double NeedHours { get; set; } = NightMetrics.DefaultNeedHours;

    /// <summary>Planned time in bed per night, for the projected-short rule of <c>acute-sleep-loss</c>.</summary>
    /// <value>Default 8.5 h, as the simulated nights.</value>
    [Bounds(typeof(TimeSpan), "04:00:00", "14:00:00")]
    public TimeSpan PlannedTimeInBed { get; set; } = TimeSpan.FromHours(8.5);

    /// <summary>Debt above which <c>acute-sleep-loss</c> fires.</summary>
    /// <value>Hours. Default 5.</value>
    [Bounds(0.0, 100.0, Unit = "hours")]
    public double MaxDebtHours { get; set; } = 5;

    /// <summary>Sliding window of <c>architect-deprivation</c>.</summary>
    /// <value>Default 30 min.</value>
    [Bounds(typeof(TimeSpan), "00:05:00", "03:00:00")]
    public TimeSpan DeprivationWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Out of bed this long (event time) ends a night; the next time in bed starts a new one.</summary>
    /// <value>Default 30 min.</value>
    [Bounds(typeof(TimeSpan), "00:05:00", "12:00:00")]
    public TimeSpan NightGap { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Onsets of arousal this close together count as simultaneous for <c>facility-incident</c>.</summary>
    /// <value>Default 2 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:30", "00:30:00")]
    public TimeSpan IncidentWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At least this many beds for a <c>facility-incident</c> (chance coincidences of unrelated arousals were at
    /// most 2 beds in simulated nights of 24).</summary>
    /// <value>Beds. Default 4.</value>
    [Bounds(2, 10_000, Unit = "beds")]
    public int IncidentMinBeds { get; set; } = 4;

    /// <summary>And at least this share of the beds in bed.</summary>
    /// <value>A fraction. Default 0.15.</value>
    [Bounds(0.0, 1.0)]
    public double IncidentMinShare { get; set; } = 0.15;

    /// <summary>Sleep needed before a wake epoch counts as an arousal onset for incidents (settled sleepers only).</summary>
    /// <value>Default 5 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan OnsetAfterSleep { get; set; } = TimeSpan.FromMinutes(5);

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="DetectionOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class DetectionOptionsValidator : IValidateOptions<DetectionOptions>;

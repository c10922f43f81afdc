using Microsoft.Extensions.Options;

namespace Somnis.Hub.Detection;

/// <summary>Live detection settings (section <c>Detection</c>); rules and references in docs/detection.md.</summary>
public sealed class DetectionOptions
{
    public const string Section = "Detection";

    /// <summary>Sleep need per night, hours (AASM/SRS: 7). Range 4–12.</summary>
    public double NeedHours { get; set; } = NightMetrics.DefaultNeedHours;

    /// <summary>Planned time in bed per night, for the projected-short rule of <c>acute-sleep-loss</c>. Default 8.5 h, as the simulated nights.</summary>
    public TimeSpan PlannedTimeInBed { get; set; } = TimeSpan.FromHours(8.5);

    /// <summary>Debt (hours) above which <c>acute-sleep-loss</c> fires. Default 5 h.</summary>
    public double MaxDebtHours { get; set; } = 5;

    /// <summary>Sliding window of <c>architect-deprivation</c>. Default 30 min.</summary>
    public TimeSpan DeprivationWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Out of bed this long (event time) ends a night; the next time in bed starts a new one. Default 30 min.</summary>
    public TimeSpan NightGap { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Onsets of arousal this close together count as simultaneous for <c>facility-incident</c>. Default 2 min.</summary>
    public TimeSpan IncidentWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At least this many beds for a <c>facility-incident</c>. Default 4 (chance coincidences of unrelated arousals were at most 2 beds in simulated nights of 24).</summary>
    public int IncidentMinBeds { get; set; } = 4;

    /// <summary>And at least this share of the beds in bed. Default 0.15.</summary>
    public double IncidentMinShare { get; set; } = 0.15;

    /// <summary>Sleep needed before a wake epoch counts as an arousal onset for incidents (settled sleepers only). Default 5 min.</summary>
    public TimeSpan OnsetAfterSleep { get; set; } = TimeSpan.FromMinutes(5);
}

internal sealed class DetectionOptionsValidator : IValidateOptions<DetectionOptions>
{
    public ValidateOptionsResult Validate(string? name, DetectionOptions o)
    {
        var errors = new List<string>();
        if (o.NeedHours is < 4 or > 12 || !double.IsFinite(o.NeedHours))
        {
            errors.Add($"Detection:NeedHours must be between 4 and 12 (got {o.NeedHours})");
        }

        if (o.PlannedTimeInBed < TimeSpan.FromHours(4) || o.PlannedTimeInBed > TimeSpan.FromHours(14))
        {
            errors.Add($"Detection:PlannedTimeInBed must be between 04:00:00 and 14:00:00 (got {o.PlannedTimeInBed})");
        }

        if (o.MaxDebtHours is < 0 or > 100 || !double.IsFinite(o.MaxDebtHours))
        {
            errors.Add($"Detection:MaxDebtHours must be between 0 and 100 (got {o.MaxDebtHours})");
        }

        if (o.DeprivationWindow < TimeSpan.FromMinutes(5) || o.DeprivationWindow > TimeSpan.FromHours(3))
        {
            errors.Add($"Detection:DeprivationWindow must be between 00:05:00 and 03:00:00 (got {o.DeprivationWindow})");
        }

        if (o.NightGap < TimeSpan.FromMinutes(5) || o.NightGap > TimeSpan.FromHours(12))
        {
            errors.Add($"Detection:NightGap must be between 00:05:00 and 12:00:00 (got {o.NightGap})");
        }

        if (o.IncidentWindow < TimeSpan.FromSeconds(30) || o.IncidentWindow > TimeSpan.FromMinutes(30))
        {
            errors.Add($"Detection:IncidentWindow must be between 00:00:30 and 00:30:00 (got {o.IncidentWindow})");
        }

        if (o.IncidentMinBeds is < 2 or > 10_000)
        {
            errors.Add($"Detection:IncidentMinBeds must be between 2 and 10000 (got {o.IncidentMinBeds})");
        }

        if (o.IncidentMinShare is < 0 or > 1 || !double.IsFinite(o.IncidentMinShare))
        {
            errors.Add($"Detection:IncidentMinShare must be between 0 and 1 (got {o.IncidentMinShare})");
        }

        if (o.OnsetAfterSleep < TimeSpan.Zero || o.OnsetAfterSleep > TimeSpan.FromHours(1))
        {
            errors.Add($"Detection:OnsetAfterSleep must be between 00:00:00 and 01:00:00 (got {o.OnsetAfterSleep})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

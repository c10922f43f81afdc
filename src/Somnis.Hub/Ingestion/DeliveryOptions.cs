using Microsoft.Extensions.Options;

namespace Somnis.Hub.Ingestion;

/// <summary>End-to-end delivery accounting and clock checks (section <c>Delivery</c>, docs/operations.md "Delivery").</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>A data message is late when its event time is more than this behind the newest device time the hub
    /// knows for the bed; late data is stored and scored but must not raise a fresh alarm (1 s–1 day). Default 2 min.</summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest accepted difference between a real-time edge's clock and the hub's (5 s–1 day). Default 30 s.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A consecutive data message whose event time goes back more than this is a clock jump (0–1 h). Default 5 s.</summary>
    public TimeSpan BackwardJumpTolerance { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive data messages more than this apart in event time (with the edge online in between) are a
    /// forward clock jump (1 min–1 day). Default 10 min.</summary>
    public TimeSpan MaxForwardStep { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a detected clock jump stays flagged on the bed (1 min–7 days). Default 1 h.</summary>
    public TimeSpan ClockJumpHold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The delivery state is saved (fsynced) this often, and received messages are acknowledged to the broker
    /// only after the save that covers them, so a hub crash loses no accounting (10 ms–5 s). Default 50 ms.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A bed whose missing numbers have not changed for this long (no replay is filling them) is asked to
    /// resend them (a <c>resend</c> command): they may have been lost by the broker after it acknowledged them
    /// (1 s–1 h). Default 10 s.</summary>
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most missing ranges tracked per bed; beyond it the oldest are declared lost, counted and logged (100–1000000). Default 10000.</summary>
    public int MaxMissingRanges { get; set; } = 10_000;
}

internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions o)
    {
        var errors = new List<string>();
        Check(errors, "Delivery:LateAfter", o.LateAfter, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Check(errors, "Delivery:MaxClockSkew", o.MaxClockSkew, TimeSpan.FromSeconds(5), TimeSpan.FromDays(1));
        Check(errors, "Delivery:BackwardJumpTolerance", o.BackwardJumpTolerance, TimeSpan.Zero, TimeSpan.FromHours(1));
        Check(errors, "Delivery:MaxForwardStep", o.MaxForwardStep, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
        Check(errors, "Delivery:ClockJumpHold", o.ClockJumpHold, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Check(errors, "Delivery:ResendAfter", o.ResendAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Check(errors, "Delivery:CheckpointInterval", o.CheckpointInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5));
        if (o.MaxMissingRanges is < 100 or > 1_000_000)
        {
            errors.Add($"Delivery:MaxMissingRanges must be between 100 and 1000000 (got {o.MaxMissingRanges})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} must be between {min} and {max} (got {value})");
        }
    }
}

using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Ingestion;

/// <summary>End-to-end delivery accounting and clock checks (section <c>Delivery</c>, docs/operations.md "Delivery").</summary>
public sealed class DeliveryOptions : ISettingsSection
{
    public const string Section = "Delivery";

    /// <summary>A data message is late when its event time is more than this behind the newest device time the hub
    /// knows for the bed; late data is stored and scored but must not raise a fresh alarm.</summary>
    /// <value>Default 2 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest accepted difference between a real-time edge's clock and the hub's.</summary>
    /// <value>Default 30 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A consecutive data message whose event time goes back more than this is a clock jump.</summary>
    /// <value>Default 5 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BackwardJumpTolerance { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive data messages more than this apart in event time (with the edge online in between) are a
    /// forward clock jump.</summary>
    /// <value>Default 10 min.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan MaxForwardStep { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a detected clock jump stays flagged on the bed.</summary>
    /// <value>Default 1 h.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan ClockJumpHold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The delivery state is saved (fsynced) this often, and received messages are acknowledged to the broker
    /// only after the save that covers them, so a hub crash loses no accounting.</summary>
    /// <value>Default 50 ms.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A bed whose missing numbers have not changed for this long (no replay is filling them) is asked to
    /// resend them (a <c>resend</c> command): they may have been lost by the broker after it acknowledged them.</summary>
    /// <value>Default 10 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most missing ranges tracked per bed; beyond it the oldest are declared lost, counted and logged.</summary>
    /// <value>Ranges. Default 10000.</value>
    [Bounds(100, 1_000_000, Unit = "ranges")]
    public int MaxMissingRanges { get; set; } = 10_000;

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="DeliveryOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>;

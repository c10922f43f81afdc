using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Cluster;

/// <summary>
/// Active and standby hubs (section <c>Ha</c>, docs/high-availability.md): one node at a time holds the lease in the shared
/// PostgreSQL store and acts; the others stand by, hot. The lease's clock is the database's; each node also keeps its own
/// monotonic deadline and stops acting <see cref="SafetyMargin"/> before the database would let another node take over.
/// </summary>
public sealed class HaOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Ha";

    /// <summary>Take part in the election of the active hub (<c>--Ha:Enabled true</c>). Needs <c>Store:Provider postgres</c>.
    /// Off: the hub is the only one and always acts (role <c>single</c>).</summary>
    /// <value>Default false.</value>
    public bool Enabled { get; set; }

    /// <summary>How long the lease lasts after each renewal, by the database's clock: a failed active is replaced after at
    /// most this long (plus up to <see cref="RenewEvery"/> until a standby next tries).</summary>
    /// <value>Default 4 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>How often the active renews the lease, and a standby tries to take it.</summary>
    /// <value>Default 1 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RenewEvery { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The active stops acting this long before its lease could be taken, measured on its own clock from when it
    /// sent its last successful renewal: room for clock rate drift and a paused process.</summary>
    /// <value>Default 1 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromSeconds(1);

    string ISettingsSection.SectionPath => Section;

    /// <summary>The rule between the times. Results name no member: the message names the settings.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RenewEvery >= LeaseTime - SafetyMargin)
        {
            yield return new ValidationResult(
                $"Ha:RenewEvery ({RenewEvery:c}) must be shorter than Ha:LeaseTime ({LeaseTime:c}) minus Ha:SafetyMargin ({SafetyMargin:c}): the active must renew before it stops acting");
        }
    }
}

[OptionsValidator]
internal sealed partial class HaOptionsValidator : IValidateOptions<HaOptions>
{
}

using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Demo;

/// <summary>The demo's story (section <c>Demo</c>, read by <c>demo</c> only; docs/study.md, "The demo's story").</summary>
public sealed class DemoOptions : ISettingsSection
{
    public const string Section = "Demo";

    /// <summary>Past nights per sleeper when <see cref="HistoryNights"/> is unset.</summary>
    public const int DefaultHistoryNights = 14;

    /// <summary>Most past nights per sleeper that may be asked for.</summary>
    public const int MaxHistoryNights = 365;

    /// <summary>Sleeper-nights the default back-fills at most in all: with many beds the default gives each sleeper fewer
    /// nights, so the live night does not wait minutes for the history (about 30 s on 2 cores, docs/performance.md).</summary>
    public const int DefaultNightBudget = 1_000;

    /// <summary>Past nights simulated and written per sleeper before the live night starts (fewer than
    /// <c>Storage:NightRetention</c> has days; 0: none).</summary>
    /// <value>Nights. Default (unset): 14, or fewer when beds × 14 exceeds <see cref="DefaultNightBudget"/>.</value>
    [Bounds(0, MaxHistoryNights, Flag = "--history-nights", Unit = "nights")]
    public int? HistoryNights { get; set; }

    string ISettingsSection.SectionPath => Section;

    /// <summary>The past nights per sleeper for a facility of <paramref name="beds"/> simulated beds.</summary>
    public int HistoryNightsFor(int beds) =>
        HistoryNights ?? (beds <= 0 ? DefaultHistoryNights : Math.Min(DefaultHistoryNights, DefaultNightBudget / beds));
}

/// <summary>Generated from <see cref="DemoOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class DemoOptionsValidator : IValidateOptions<DemoOptions>;

/// <summary>The rule between the demo's history and the store's retention (two sections).</summary>
internal sealed class DemoRetentionValidator(IOptions<StorageOptions> storage) : IValidateOptions<DemoOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoOptions o)
    {
        var retention = storage.Value.NightRetention;
        return o.HistoryNights is { } nights && nights >= retention.TotalDays
            ? ValidateOptionsResult.Fail($"--history-nights (Demo:HistoryNights) {nights} reaches back as far as Storage:NightRetention " +
                $"({retention.TotalDays:0.#} days) or further: the pruner would delete those nights at once")
            : ValidateOptionsResult.Success;
    }
}

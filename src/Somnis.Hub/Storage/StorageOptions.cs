using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Storage;

/// <summary>The embedded store (section <c>Storage</c>): SQLite file <c>somnis.db</c> in <c>Hub:DataDirectory</c>.</summary>
public sealed class StorageOptions : ISettingsSection
{
    public const string Section = "Storage";

    /// <summary>How long raw vitals are kept, by device time; older rows are deleted by the pruner.</summary>
    /// <value>Default 14 days.</value>
    [Bounds(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan VitalsRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the pruner runs.</summary>
    /// <value>Default 1 hour.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Vitals waiting to be written, at most. A full queue drops new vitals from the history and counts
    /// them (<c>somnis.store.vitals.dropped</c>); live state is unaffected.</summary>
    /// <value>Messages. Default 200,000 (about 7 minutes of 500 beds at 60× speed, about 70 minutes at real time).</value>
    [Bounds(1_000, 10_000_000, Unit = "messages")]
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>Rows written per transaction, at most. A transaction costs about one page write per bed it touches, so
    /// rows per bed per batch decide the cost per row (docs/performance.md, "What was changed", history batch).</summary>
    /// <value>Rows. Default 100,000.</value>
    [Bounds(1, 1_000_000, Unit = "rows")]
    public int BatchSize { get; set; } = 100_000;

    /// <summary>How long the writer lets a batch fill before writing it, unless <see cref="BatchSize"/> rows are queued
    /// sooner: the longest a row waits before it can be read from the history (live state, alarms and acknowledgements
    /// never wait for it). 0 writes whatever is queued at once.</summary>
    /// <value>Default 3 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long nights of record (hypnogram, metrics, assessments) are kept, by their start (device time) against
    /// the hub's clock; older nights are deleted by the pruner.</summary>
    /// <value>Default 400 days (the study's longest range).</value>
    [Bounds(typeof(TimeSpan), "7.00:00:00", "3650.00:00:00")]
    public TimeSpan NightRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>Epochs of nights of record waiting to be written, at most. While the store cannot be written the queue keeps
    /// them; beyond this bound new epochs are dropped and counted (<c>somnis.nights.epochs.dropped</c>), live scoring is
    /// unaffected.</summary>
    /// <value>Epochs. Default 2,000,000 (two 8-hour nights of 1,000 beds, about 100 MB).</value>
    [Bounds(10_000, 50_000_000, Unit = "epochs")]
    public int NightQueueCapacity { get; set; } = 2_000_000;

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="StorageOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>;

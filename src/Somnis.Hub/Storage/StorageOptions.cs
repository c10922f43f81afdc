using Microsoft.Extensions.Options;

namespace Somnis.Hub.Storage;

/// <summary>The embedded store (section <c>Storage</c>): SQLite file <c>somnis.db</c> in <c>Hub:DataDirectory</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>How long raw vitals are kept, by device time; older rows are deleted by the pruner. 1 hour – 3650 days, default 14 days.</summary>
    public TimeSpan VitalsRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the pruner runs. 1 minute – 1 day, default 1 hour.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Vitals waiting to be written, at most (messages). A full queue drops new vitals from the history and counts
    /// them (<c>somnis.store.vitals.dropped</c>); live state is unaffected. 1,000 – 10,000,000, default 200,000
    /// (about 7 minutes of 500 beds at 60× speed, about 70 minutes at real time).</summary>
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>Rows written per transaction, at most. 1 – 1,000,000, default 100,000. A transaction costs about one page
    /// write per bed it touches, so rows per bed per batch decide the cost per row (docs/performance.md, "What was
    /// changed", history batch).</summary>
    public int BatchSize { get; set; } = 100_000;

    /// <summary>How long the writer lets a batch fill before writing it, unless <see cref="BatchSize"/> rows are queued
    /// sooner: the longest a row waits before it can be read from the history (live state, alarms and acknowledgements
    /// never wait for it). 0 – 60 s, default 3 s; 0 writes whatever is queued at once.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long nights of record (hypnogram, metrics, assessments) are kept, by their start (device time) against
    /// the hub's clock; older nights are deleted by the pruner. 7 – 3650 days, default 400 days (the study's longest range).</summary>
    public TimeSpan NightRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>Epochs of nights of record waiting to be written, at most. While the store cannot be written the queue keeps
    /// them; beyond this bound new epochs are dropped and counted (<c>somnis.nights.epochs.dropped</c>), live scoring is
    /// unaffected. 10,000 – 50,000,000, default 2,000,000 (two 8-hour nights of 1,000 beds, about 100 MB).</summary>
    public int NightQueueCapacity { get; set; } = 2_000_000;
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions o)
    {
        var errors = new List<string>();
        if (o.VitalsRetention < TimeSpan.FromHours(1) || o.VitalsRetention > TimeSpan.FromDays(3650))
        {
            errors.Add($"Storage:VitalsRetention must be between 01:00:00 and 3650.00:00:00 (got {o.VitalsRetention})");
        }

        if (o.PruneInterval < TimeSpan.FromMinutes(1) || o.PruneInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Storage:PruneInterval must be between 00:01:00 and 1.00:00:00 (got {o.PruneInterval})");
        }

        if (o.QueueCapacity is < 1_000 or > 10_000_000)
        {
            errors.Add($"Storage:QueueCapacity must be between 1000 and 10000000 messages (got {o.QueueCapacity})");
        }

        if (o.FlushInterval < TimeSpan.Zero || o.FlushInterval > TimeSpan.FromSeconds(60))
        {
            errors.Add($"Storage:FlushInterval must be between 00:00:00 and 00:01:00 (got {o.FlushInterval})");
        }

        if (o.BatchSize is < 1 or > 1_000_000)
        {
            errors.Add($"Storage:BatchSize must be between 1 and 1000000 rows (got {o.BatchSize})");
        }

        if (o.NightRetention < TimeSpan.FromDays(7) || o.NightRetention > TimeSpan.FromDays(3650))
        {
            errors.Add($"Storage:NightRetention must be between 7.00:00:00 and 3650.00:00:00 (got {o.NightRetention})");
        }

        if (o.NightQueueCapacity is < 10_000 or > 50_000_000)
        {
            errors.Add($"Storage:NightQueueCapacity must be between 10000 and 50000000 epochs (got {o.NightQueueCapacity})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

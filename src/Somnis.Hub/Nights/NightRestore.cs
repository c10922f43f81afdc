using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Nights;

/// <summary>
/// At start-up, before live ingestion (hosted, after the vitals history's journal is in the store): every night of record
/// still open goes on exactly where it was (docs/storage.md, "Restart"). Its bed's tracker is rebuilt by replaying the
/// bed's stored vitals from the night's start through the same scorer, so tonight's hypnogram, metrics and assessments are
/// the ones an uninterrupted hub would hold, and the epochs it stores are the same rows. A stored message the broker was
/// never acknowledged for is remembered and skipped when the broker delivers it again (<see cref="SleepTracker.Replayed"/>).
/// Where the raw history no longer covers a night (pruned, lost), the newest open night of the bed is resumed from its
/// stored epochs (<see cref="SleepTracker.Resume"/>), and older open nights of the bed are closed as stored.
/// Beds are restored in parallel, one per core; the ledger of sleepers' nights is loaded first.
/// </summary>
internal sealed class NightRestore(
    INightStore nights,
    SomnisStore history,
    DetectionService detection,
    NightRecorder recorder,
    SleeperLedger ledger,
    DeliveryTracker delivery,
    IOptions<DetectionOptions> options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<NightRestore> logger) : IHostedService
{
    private readonly Counter<long> _restored = meters.Create(HubMetrics.MeterName)
        .CreateCounter<long>("somnis.nights.restored", "{night}", "Open nights of record restored at start-up, by how (replayed, resumed, closed, failed)");

    private double _lastSeconds;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        meters.Create(HubMetrics.MeterName).CreateObservableGauge("somnis.nights.restore", () => Volatile.Read(ref _lastSeconds), "s",
            "How long restoring the open nights of record took at start-up (the hub is not ready before)");
        Restore();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Loads the ledger and restores every open night.</summary>
    internal RestoreSummary Restore()
    {
        var started = time.GetTimestamp();
        ledger.Load();
        var summary = new RestoreSummary();
        var beds = nights.OpenNights().GroupBy(n => (n.Facility, n.Bed)).ToList();
        Parallel.ForEach(beds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, bed =>
        {
            try
            {
                RestoreBed(bed.Key.Facility, bed.Key.Bed, [.. bed.OrderBy(n => n.Start)], summary);
            }
            catch (Exception ex)
            {
                // By design: one bed's store trouble must not keep the hub from monitoring; that bed's night starts afresh.
                summary.Count(ref summary.Failed, "failed", _restored);
                Log.NightRestoreFailed(logger, bed.Key.Facility, bed.Key.Bed, ex);
            }
        });

        summary.Elapsed = time.GetElapsedTime(started);
        Volatile.Write(ref _lastSeconds, summary.Elapsed.TotalSeconds);
        if (beds.Count > 0)
        {
            Log.NightsRestored(logger, summary.Replayed + summary.Resumed + summary.Closed, summary.Elapsed.TotalSeconds, summary.Replayed,
                summary.Messages, summary.Resumed, summary.Closed);
        }

        return summary;
    }

    private void RestoreBed(string facility, string bed, List<NightRecord> open, RestoreSummary summary)
    {
        var tracker = detection.Tracker(facility, bed);
        lock (tracker.Sync)
        {
            for (var i = 0; i < open.Count; i++)
            {
                var night = open[i];
                if (!NightKey.TryParse(night.Id, out var key))
                {
                    continue;
                }

                using var rows = history.VitalsAfter(facility, bed, night.Start).GetEnumerator();
                if (rows.MoveNext() && StartsTheNight(rows.Current, night.Start))
                {
                    foreach (var later in open.Skip(i))
                    {
                        if (NightKey.TryParse(later.Id, out var k))
                        {
                            recorder.Replaying(k, later.Epochs);
                        }
                    }

                    long messages = 0;
                    do
                    {
                        var m = rows.Current;
                        tracker.Replay(m, delivery.HasReceived(facility, bed, m.Seq));
                        messages++;
                    }
                    while (rows.MoveNext());

                    // Facility incidents are found from live onsets only (their alarms are stored).
                    tracker.NewOnsets.Clear();
                    Interlocked.Add(ref summary.Messages, messages);
                    summary.Count(ref summary.Replayed, "replayed", _restored);
                    return;
                }

                var epochs = nights.NightEpochs(night.Id);
                recorder.Resume(night);
                if (i == open.Count - 1)
                {
                    tracker.Resume(key, night.NightDate, epochs, night.Assessments);
                    Log.NightResumedFromStore(logger, night.Id, epochs.Count);
                    summary.Count(ref summary.Resumed, "resumed", _restored);
                }
                else
                {
                    // A later night of the bed began after it: it ended, but its end never reached the store.
                    var scored = epochs.Select(e => e.ToScored(night.Start)).ToList();
                    var end = night.Start + (ScoredEpoch.Length * (epochs.Count > 0 ? epochs[^1].Index + 1 : 0));
                    recorder.Ended(key, end, NightMetrics.Compute(scored, options.Value.NeedHours));
                    summary.Count(ref summary.Closed, "closed", _restored);
                }
            }
        }
    }

    /// <summary>The history holds the night's first message: the one whose interval begins at lights-off (to the ms).</summary>
    private static bool StartsTheNight(VitalsMessage first, DateTimeOffset start) =>
        first.Ts.ToUnixTimeMilliseconds() - (long)Math.Round(first.IntervalSeconds * 1000) == start.ToUnixTimeMilliseconds();
}

/// <summary>What a restore did (counted from parallel beds).</summary>
internal sealed class RestoreSummary
{
    public int Replayed;
    public int Resumed;
    public int Closed;
    public int Failed;
    public long Messages;

    public TimeSpan Elapsed { get; set; }

    public void Count(ref int field, string how, Counter<long> counter)
    {
        Interlocked.Increment(ref field);
        counter.Add(1, new KeyValuePair<string, object?>("how", how));
    }
}

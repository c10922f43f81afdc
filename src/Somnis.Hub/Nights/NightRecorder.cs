using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Nights;

/// <summary>
/// Nights of record, written while they go on: the one door from the live path to the store's nights (docs/storage.md).
/// <para>How the live path calls it (one bed's calls in order, as the <see cref="DetectionService"/> serialises each bed;
/// different beds may call at once). Every call only queues, never waits on the disk and never throws for the store:</para>
/// <list type="number">
/// <item><see cref="Started"/> when a bed's night begins (the tracker's lights-off, device time); keep the
/// <see cref="NightKey"/> it returns for the night's other calls. The same bed and start give the same key, so calling it
/// again after a restart (replaying the raw vitals from the night's start) continues the same stored night.</item>
/// <item><see cref="Epochs"/> with each batch of newly finalized epochs (<c>SleepTracker</c>'s <c>fresh</c>). Stored by index
/// from the night's start, so epochs written twice (a replay) are the same rows.</item>
/// <item><see cref="Assessment"/> with every <see cref="AssessmentUpdate"/> of the bed (facility incidents are not
/// per night and are ignored): the night keeps each assessment's start, end, latest summary and evidence.</item>
/// <item><see cref="Progress"/> with the metrics so far, as often as is cheap (e.g. every few epochs): past nights show
/// them while tonight is not over; the study reads only finished nights.</item>
/// <item><see cref="Ended"/> with the end (end of the last epoch) and the final metrics.</item>
/// </list>
/// <para>For a night whose raw history no longer covers it (so it is not replayed), <see cref="Resume"/> with the stored
/// night before any other call keeps its assessments. The sleeper of a night is not the caller's business: the store
/// gives a new night the sleeper admitted to the bed at its start, and an admission made mid-night takes over an
/// unassigned night (ISleeperStore.ApplyAdmission).</para>
/// </summary>
/// <remarks>The live tracker (<see cref="SleepTracker"/>, attached by the <see cref="DetectionService"/>) also asks it for
/// what a night starts from: the sleeper's debt and baseline from their earlier nights (<see cref="SleeperLedger"/>).
/// Without a ledger (tests, offline analysis) it only records.</remarks>
internal sealed class NightRecorder(NightWriter writer, IOptions<DashboardOptions> dashboard, SleeperLedger? ledger = null)
{
    private readonly ConcurrentDictionary<string, OpenNight> _open = new(StringComparer.Ordinal);
    private readonly TimeZoneInfo _zone = dashboard.Value.Zone();

    /// <summary>Nights started and not ended (held for their assessments).</summary>
    public int OpenNights => _open.Count;

    /// <summary>A bed's night began at <paramref name="start"/> (device time).</summary>
    public NightKey Started(string facility, string bed, DateTimeOffset start)
    {
        var key = new NightKey(facility, bed, start);
        var night = Open(key);
        writer.Enqueue(key, night.Date, []);
        return key;
    }

    /// <summary>Newly finalized epochs of the night, in order.</summary>
    public void Epochs(NightKey night, IReadOnlyList<ScoredEpoch> epochs)
    {
        if (epochs.Count == 0)
        {
            return;
        }

        var open = Open(night);
        var skip = 0;
        if (open.StoredEpochs > 0)
        {
            // A replay after a restart: the epochs the store already has are the same rows; write only the new ones.
            while (skip < epochs.Count && StoredEpoch.From(epochs[skip], night.Start).Index < open.StoredEpochs)
            {
                skip++;
            }

            if (skip == epochs.Count)
            {
                return;
            }
        }

        var stored = new StoredEpoch[epochs.Count - skip];
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = StoredEpoch.From(epochs[skip + i], night.Start);
        }

        writer.Enqueue(night, open.Date, stored);
    }

    /// <summary>The night's metrics so far.</summary>
    public void Progress(NightKey night, NightMetrics metrics) => writer.Enqueue(night, Open(night).Date, [], metrics);

    /// <summary>An assessment of the night's bed became true, changed evidence, or cleared.</summary>
    public void Assessment(NightKey night, AssessmentUpdate update)
    {
        if (update.Bed != night.Bed || update.Facility != night.Facility)
        {
            return;
        }

        var open = Open(night);
        IReadOnlyList<NightAssessment> snapshot;
        lock (open.Assessments)
        {
            var i = open.Assessments.FindLastIndex(a => a.Type == update.Type && a.End is null);
            if (update.Active)
            {
                var now = new NightAssessment(update.Type, i >= 0 ? open.Assessments[i].Start : update.EventTime, null, update.Summary, Evidence(update.Evidence));
                if (i >= 0)
                {
                    open.Assessments[i] = now;
                }
                else
                {
                    open.Assessments.Add(now);
                }
            }
            else if (i >= 0)
            {
                open.Assessments[i] = open.Assessments[i] with { End = update.EventTime };
            }
            else
            {
                return;
            }

            snapshot = [.. open.Assessments];
        }

        writer.Enqueue(night, open.Date, [], assessments: snapshot);
    }

    /// <summary>The night is over: its end (device time) and final metrics. Assessments still holding end with it.</summary>
    public void Ended(NightKey night, DateTimeOffset end, NightMetrics metrics)
    {
        var open = _open.TryRemove(night.Id, out var o) ? o : new OpenNight(NightDate(night.Start));
        IReadOnlyList<NightAssessment> assessments;
        lock (open.Assessments)
        {
            assessments = [.. open.Assessments.Select(a => a.End is null ? a with { End = end } : a)];
        }

        writer.Enqueue(night, open.Date, [], metrics, assessments.Count > 0 ? assessments : null, end);
        ledger?.NightEnded(night, open.Date, end, metrics);
    }

    /// <summary>A stored night is about to be replayed from the raw history: its first <paramref name="storedEpochs"/>
    /// epochs are in the store already and are not written again.</summary>
    public void Replaying(NightKey night, int storedEpochs) => Open(night).StoredEpochs = storedEpochs;

    /// <summary>The debt the night's owner (its sleeper as of <paramref name="upTo"/>, else the bed) carried into it from
    /// the nights dated before it; null without a ledger (the tracker keeps its own per-bed debt then).</summary>
    public double? DebtBefore(NightKey night, DateOnly nightDate, DateTimeOffset upTo) =>
        ledger?.DebtBefore(night.Facility, night.Bed, night.Start, nightDate, upTo);

    /// <summary>The baseline from the earlier nights of the sleeper admitted at <paramref name="start"/>, if any.</summary>
    public SleeperPrior? PriorFor(string facility, string bed, DateTimeOffset start) =>
        ledger?.PriorBefore(facility, bed, start, NightDate(start));

    /// <summary>Carries on a stored night that is not replayed: its assessments so far are the starting point.</summary>
    public void Resume(NightRecord stored)
    {
        if (!NightKey.TryParse(stored.Id, out var key))
        {
            return;
        }

        var open = Open(key);
        lock (open.Assessments)
        {
            open.Assessments.Clear();
            open.Assessments.AddRange(stored.Assessments);
        }
    }

    /// <summary>The facility-local date a night is filed under (<see cref="NightCalendar"/>, <c>Dashboard:TimeZone</c>).</summary>
    public DateOnly NightDate(DateTimeOffset start) => NightCalendar.NightOf(start, _zone);

    private OpenNight Open(NightKey key) => _open.GetOrAdd(key.Id, _ => new OpenNight(NightDate(key.Start)));

    private static JsonElement? Evidence(object? evidence) => evidence switch
    {
        null => null,
        JsonElement e => e,
        _ when HubJsonContext.Default.GetTypeInfo(evidence.GetType()) is { } info => JsonSerializer.SerializeToElement(evidence, info),
        _ => null,
    };

    private sealed class OpenNight(DateOnly date)
    {
        public DateOnly Date { get; } = date;

        /// <summary>Epochs the store holds already (a night being replayed after a restart), 0 otherwise.</summary>
        public int StoredEpochs { get; set; }

        public List<NightAssessment> Assessments { get; } = [];
    }
}

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
/// per night and are ignored): the night keeps each assessment's start, end, latest summary and evidence, stored with the
/// next <see cref="Progress"/> or <see cref="Ended"/>.</item>
/// <item><see cref="Progress"/> with the metrics so far, as often as is cheap (the tracker: every 20 epochs, 10 minutes): past
/// nights show them while tonight is not over; the study reads only finished nights.</item>
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

    /// <summary>The whole night so far, again: a standby taking over stores its nights as it scored them hot, the epochs
    /// between the old active's last write and the takeover included (those already stored are the same rows), with the
    /// metrics and every assessment.</summary>
    public void Rewrite(NightKey night, IReadOnlyList<ScoredEpoch> epochs, NightMetrics metrics)
    {
        var open = Open(night);
        var stored = new StoredEpoch[epochs.Count];
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = StoredEpoch.From(epochs[i], night.Start);
        }

        lock (open.Assessments)
        {
            open.EvidenceChanged = open.Assessments.Count > 0;
        }

        writer.Enqueue(night, open.Date, stored);
        Progress(night, metrics);
    }

    /// <summary>The night's metrics so far, with its assessments if they changed.</summary>
    public void Progress(NightKey night, NightMetrics metrics)
    {
        var open = Open(night);
        IReadOnlyList<NightAssessment>? assessments = null;
        lock (open.Assessments)
        {
            if (open.EvidenceChanged)
            {
                assessments = open.Snapshot(end: null);
                open.EvidenceChanged = false;
            }
        }

        writer.Enqueue(night, open.Date, [], metrics, assessments);
    }

    /// <summary>An assessment of the night's bed became true, changed evidence, or cleared. Kept here and stored with the next
    /// <see cref="Progress"/> (or the end): assessments repeat on every epoch and some come and go within minutes, and
    /// storing the night's whole list each time (its evidence as JSON) was most of the cost of recording a night.</summary>
    public void Assessment(NightKey night, AssessmentUpdate update)
    {
        if (update.Bed != night.Bed || update.Facility != night.Facility)
        {
            return;
        }

        var open = Open(night);
        lock (open.Assessments)
        {
            var i = open.Assessments.Count - 1;
            while (i >= 0 && !(open.Assessments[i].Type == update.Type && open.Assessments[i].End is null))
            {
                i--;
            }

            if (update.Active && i >= 0)
            {
                open.Assessments[i].Update(update.Summary, update.Evidence);
            }
            else if (update.Active)
            {
                open.Assessments.Add(new HeldAssessment(update.Type, update.EventTime, update.Summary, update.Evidence));
            }
            else if (i >= 0)
            {
                open.Assessments[i].End = update.EventTime;
            }
            else
            {
                return;
            }

            open.EvidenceChanged = true;
        }
    }

    /// <summary>The night is over: its end (device time) and final metrics. Assessments still holding end with it.</summary>
    public void Ended(NightKey night, DateTimeOffset end, NightMetrics metrics)
    {
        var open = _open.TryRemove(night.Id, out var o) ? o : new OpenNight(NightDate(night.Start));
        IReadOnlyList<NightAssessment> assessments;
        lock (open.Assessments)
        {
            assessments = open.Snapshot(end);
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
            open.Assessments.AddRange(stored.Assessments.Select(a => new HeldAssessment(a.Type, a.Start, a.Summary, a.Evidence) { End = a.End }));
        }
    }

    /// <summary>The facility-local date a night is filed under (<see cref="NightCalendar"/>, <c>Dashboard:TimeZone</c>).</summary>
    public DateOnly NightDate(DateTimeOffset start) => NightCalendar.NightOf(start, _zone);

    private OpenNight Open(NightKey key) =>
        _open.TryGetValue(key.Id, out var open) ? open : _open.GetOrAdd(key.Id, _ => new OpenNight(NightDate(key.Start)));

    private static JsonElement? Evidence(object? evidence) => evidence switch
    {
        null => null,
        JsonElement e => e,
        _ when HubJsonContext.Default.GetTypeInfo(evidence.GetType()) is { } info => JsonSerializer.SerializeToElement(evidence, info),
        _ => null,
    };

    /// <summary>An assessment of a night as it goes on, its evidence as detection gave it: turned into JSON only when stored,
    /// once per change (a night's list grows with every episode, and each write stores the whole list).</summary>
    private sealed class HeldAssessment(string type, DateTimeOffset start, string summary, object? evidence)
    {
        private string _summary = summary;
        private object? _evidence = evidence;
        private NightAssessment? _stored;

        public string Type { get; } = type;

        public DateTimeOffset? End
        {
            get => field;
            set
            {
                field = value;
                _stored = null;
            }
        }

        public void Update(string summary, object? evidence)
        {
            (_summary, _evidence) = (summary, evidence);
            _stored = null;
        }

        public NightAssessment Stored(DateTimeOffset? end)
        {
            _stored ??= new NightAssessment(Type, start, End, _summary, Evidence(_evidence));
            return End is null && end is not null ? _stored with { End = end } : _stored;
        }
    }

    private sealed class OpenNight(DateOnly date)
    {
        public DateOnly Date { get; } = date;

        /// <summary>Epochs the store holds already (a night being replayed after a restart), 0 otherwise.</summary>
        public int StoredEpochs { get; set; }

        /// <summary>Guarded by its own lock.</summary>
        public List<HeldAssessment> Assessments { get; } = [];

        /// <summary>The assessments changed since they were last queued.</summary>
        public bool EvidenceChanged { get; set; }

        /// <summary>The assessments as stored; those still holding end at <paramref name="end"/> when given.</summary>
        public List<NightAssessment> Snapshot(DateTimeOffset? end) => [.. Assessments.Select(a => a.Stored(end))];
    }
}

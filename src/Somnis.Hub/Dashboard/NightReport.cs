using System.Globalization;
using System.Text;
using Somnis.Hub.Alarms;
using Somnis.Hub.Api;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Dashboard;

/// <summary>One bed's night in a report. Times are instants (shown in the facility's zone); minutes, ratios 0–1.</summary>
/// <param name="DebtHours">The night's owner's sleep debt (the sleeper's, else the bed's unassigned nights'): after the night
/// when it is finished, before it while it goes on.</param>
/// <param name="Id">The night of record (<c>GET /api/nights/{facility}/{bed}/{start ms}</c> has its hypnogram).</param>
/// <param name="Sleeper">The sleeper the night belongs to; null when nobody was admitted.</param>
public sealed record NightReportRow(
    string Bed,
    string Facility,
    string Ward,
    DateOnly Night,
    DateTimeOffset LightsOff,
    DateTimeOffset? End,
    bool InProgress,
    double TimeInBedMin,
    double TotalSleepMin,
    double? SleepEfficiency,
    double? SleepOnsetLatencyMin,
    double WasoMin,
    int Awakenings,
    double? ArousalIndex,
    double? MeanSleepingHr,
    double? MeanWakingHr,
    double? HrDip,
    double StimulatedMin,
    double? EfficiencyStimulated,
    double? EfficiencyUnstimulated,
    double DebtHours,
    IReadOnlyList<string> Assessments,
    string? Id = null,
    SleeperRef? Sleeper = null);

/// <summary>
/// The night of <see cref="Night"/> (lights-off from <see cref="From"/> up to <see cref="To"/>) for one bed or the facility:
/// each bed's night metrics, the alarms raised during the night and the operator actions taken on them.
/// </summary>
public sealed record NightReport(
    DateOnly Night,
    string TimeZone,
    DateTimeOffset From,
    DateTimeOffset To,
    string? Bed,
    IReadOnlyList<NightReportRow> Rows,
    IReadOnlyList<NightReportAlarm> Alarms,
    IReadOnlyList<NightReportAction> Actions);

/// <summary>An alarm raised during the night (by device time), as it stands now.</summary>
/// <param name="Bed">Null for a facility alarm (facility incident).</param>
/// <param name="RaisedEventTime">Device time it was first raised: what places it in the night.</param>
/// <param name="RaisedAt">Hub time it was first raised.</param>
/// <param name="ClearedAt">Hub time its condition last cleared.</param>
/// <param name="AckedAt">Hub time of the acknowledgement.</param>
public sealed record NightReportAlarm(
    string Id,
    string Facility,
    string? Bed,
    string Type,
    string Priority,
    string Class,
    string State,
    DateTimeOffset RaisedEventTime,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ClearedAt,
    string? AckedBy,
    DateTimeOffset? AckedAt,
    string? ShelvedBy,
    string? AssignedTo,
    int Occurrences,
    string Summary);

/// <summary>One operator action of the night, from the audit trail: who did what, when (hub time).</summary>
/// <param name="Action"><c>acknowledged</c>, <c>shelved</c>, <c>unshelved</c>, <c>commented</c>, <c>assigned</c>,
/// <c>architect-pause-requested</c> or <c>architect-resume-requested</c>.</param>
/// <param name="Actor">A user name, or <c>auto-rule</c> for the automatic interlock.</param>
/// <param name="EventTime">The bed's device time when the action was taken, when known.</param>
/// <param name="AlarmType">The type of the alarm acted on; null for Architect commands.</param>
public sealed record NightReportAction(
    DateTimeOffset At,
    DateTimeOffset? EventTime,
    string Facility,
    string? Bed,
    string? AlarmId,
    string? AlarmType,
    string Action,
    string Actor,
    string? Detail);

/// <summary>Builds night reports from the nights of record of the period (they survive restarts), with the live figures of
/// the nights still going on (the store has their metrics as of the last few minutes).</summary>
internal static class NightReports
{
    public static readonly string[] CsvHeader =
    [
        "night", "bed", "facility", "ward", "lights_off", "end", "in_progress", "time_in_bed_min", "total_sleep_min",
        "sleep_efficiency", "sleep_onset_latency_min", "waso_min", "awakenings", "arousal_index_per_h",
        "mean_sleeping_hr_bpm", "mean_waking_hr_bpm", "hr_dip", "stimulated_min", "efficiency_stimulated",
        "efficiency_unstimulated", "sleep_debt_h", "sleeper_id", "sleeper", "assessments", "alarms", "actions",
    ];

    /// <summary>The audit actions a report lists as operator actions (people, and the automatic interlock rule).</summary>
    public static readonly IReadOnlySet<string> OperatorActions = new HashSet<string>(StringComparer.Ordinal)
    {
        "acknowledged", "shelved", "unshelved", "commented", "assigned", "architect-pause-requested", "architect-resume-requested",
    };

    private const int MaxAlarms = 5000;

    /// <summary>The newest Architect commands searched for a night's (they are few: a handful per bed and night).</summary>
    private const int MaxCommands = 10_000;

    /// <summary>The newest night any bed (or <paramref name="bed"/>) has started, live or stored, or the night of
    /// <paramref name="now"/> when none has.</summary>
    public static DateOnly LatestNight(IEnumerable<BedSummary> beds, string? bed, DetectionService detection, INightStore nights, TimeZoneInfo zone, DateTimeOffset now)
    {
        DateTimeOffset? newest = null;
        foreach (var b in beds.Where(b => bed is null || b.Id == bed))
        {
            if (detection.Night(b.Facility, b.Id) is { NightStart: { } s } && (newest is null || s > newest))
            {
                newest = s;
            }
        }

        var live = newest is { } n ? NightCalendar.NightOf(n, zone) : (DateOnly?)null;
        var stored = nights.LatestNightDate();
        return live is { } l && (stored is null || l >= stored) ? l : stored ?? NightCalendar.NightOf(now, zone);
    }

    public static NightReport Build(DateOnly night, string? bedFilter, IEnumerable<BedSummary> beds, DetectionService detection, INightStore nights,
        SleeperLedger ledger, DashboardOptions options, AlarmEngine? alarms = null)
    {
        var zone = options.Zone();
        var (from, to) = NightCalendar.Window(night, zone);
        var rows = new List<NightReportRow>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in nights.NightsBetween(from, to).Where(n => bedFilter is null || n.Bed == bedFilter))
        {
            listed.Add(n.Id);
            var live = n.End is null ? detection.Night(n.Facility, n.Bed) : null;
            if (live is { Metrics: { } now } && live.NightId == n.Id)
            {
                rows.Add(InProgress(n.Facility, n.Bed, n.Id, n.Start, n.SleeperId, now, live, ledger, options, night));
            }
            else if (n.Metrics is { } m)
            {
                var owner = ledger.Debt(n.SleeperId, n.Facility, n.Bed, n.End is null ? night.AddDays(-1) : night).Hours;
                rows.Add(Row(n.Facility, n.Bed, options.WardOf(n.Bed), night, n.Start, n.End, n.End is null, m, owner,
                    [.. n.Assessments.Select(a => $"{a.Type}: {a.Summary}")], n.Id, ledger.Find(n.SleeperId)));
            }
        }

        // Nights going on whose start the night writer has not stored yet (it writes every few seconds).
        foreach (var bed in beds.Where(b => bedFilter is null || b.Id == bedFilter))
        {
            if (detection.Night(bed.Facility, bed.Id) is { NightId: { } id, NightStart: { } start, Metrics: { } m } live
                && !listed.Contains(id) && start >= from && start < to)
            {
                rows.Add(InProgress(bed.Facility, bed.Id, id, start, ledger.SleeperOf(bed.Facility, bed.Id, start, DateTimeOffset.MaxValue), m, live, ledger, options, night));
            }
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Facility, b.Facility) is var c and not 0 ? c
            : string.CompareOrdinal(a.Bed, b.Bed) is var d and not 0 ? d : a.LightsOff.CompareTo(b.LightsOff));
        var (nightAlarms, actions) = alarms is null ? ([], []) : AlarmsOf(alarms, bedFilter, from, to);
        return new NightReport(night, options.TimeZone, from, to, bedFilter, rows, nightAlarms, actions);
    }

    private static NightReportRow InProgress(string facility, string bed, string id, DateTimeOffset start, string? sleeper, NightMetrics metrics,
        BedNight live, SleeperLedger ledger, DashboardOptions options, DateOnly night) =>
        Row(facility, bed, options.WardOf(bed), night, start, end: null, inProgress: true, metrics, ledger.Debt(sleeper, facility, bed, night.AddDays(-1)).Hours,
            [.. live.Assessments.Where(a => a.Active).Select(a => $"{a.Type}: {a.Summary}")], id, ledger.Find(sleeper));

    /// <summary>
    /// Alarms raised (device time) within [from, to) — a bed's, or with no bed every bed's and the facility alarms — and
    /// the operator actions on them whenever they were taken; plus Architect commands given while the bed's device time
    /// was within the night.
    /// </summary>
    private static (List<NightReportAlarm> Alarms, List<NightReportAction> Actions) AlarmsOf(AlarmEngine engine, string? bed, DateTimeOffset from, DateTimeOffset to)
    {
        var found = engine.Query(new AlarmFilter(null, bed, null, null, null, MaxAlarms, from, to))
            .OrderBy(a => a.RaisedEventTime).ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
        var entries = new List<(AuditEntry Entry, string? Type)>();
        foreach (var a in found)
        {
            entries.AddRange(engine.QueryAudit(new AuditFilter(null, null, a.Id, null, null, 1000))
                .Where(e => OperatorActions.Contains(e.Action))
                .Select(e => (e, (string?)a.Type)));
        }

        // Architect commands are stored by hub time but belong to the night by the bed's device time when they were given.
        entries.AddRange(engine.QueryAudit(new AuditFilter(null, bed, null, null, null, MaxCommands, "architect-"))
            .Where(e => e.AlarmId is null && OperatorActions.Contains(e.Action) && (e.EventTime ?? e.At) >= from && (e.EventTime ?? e.At) < to)
            .Select(e => (e, (string?)null)));

        return (
            [.. found.Select(a => new NightReportAlarm(a.Id, a.Facility, a.Bed, a.Type, a.Priority, a.Class, a.State, a.RaisedEventTime, a.RaisedAt,
                a.ClearedAt, a.AckedBy, a.AckedAt, a.ShelvedBy, a.AssignedTo, a.Occurrences, a.Summary))],
            [.. entries.OrderBy(x => x.Entry.At).ThenBy(x => x.Entry.Seq).Select(x => new NightReportAction(
                x.Entry.At, x.Entry.EventTime, x.Entry.Facility, x.Entry.Bed, x.Entry.AlarmId, x.Type, x.Entry.Action, x.Entry.Actor, x.Entry.Detail))]);
    }

    private static NightReportRow Row(string facility, string bed, string ward, DateOnly night, DateTimeOffset start, DateTimeOffset? end, bool inProgress,
        NightMetrics m, double debt, IReadOnlyList<string> assessments, string id, SleeperRef? sleeper) =>
        new(bed, facility, ward, night, start, end, inProgress, m.TimeInBedMin, m.TotalSleepMin, R(m.SleepEfficiency),
            R(m.SleepOnsetLatencyMin), m.WasoMin, m.Awakenings, R(m.ArousalIndex), R(m.MeanSleepingHr), R(m.MeanWakingHr), R(m.HrDip),
            m.StimulatedMin, R(m.EfficiencyStimulated), R(m.EfficiencyUnstimulated), Math.Round(debt, 2), assessments, id, sleeper);

    private static double? R(double? v) => v is { } x ? Math.Round(x, 3) : null;

    /// <summary>
    /// RFC 4180 CSV: one header line, one line per bed night; times in the facility's zone with their offset. The last two
    /// columns list the night's alarms and operator actions of that bed (" | " between items). Alarms of a bed without a
    /// night row, and facility alarms (empty bed), get a line of their own with the metrics empty.
    /// </summary>
    public static string ToCsv(NightReport report, DashboardOptions options)
    {
        var zone = options.Zone();
        var (perRow, extra) = Place(report);
        var sb = new StringBuilder();
        sb.AppendJoin(',', CsvHeader).Append("\r\n");
        for (var i = 0; i < report.Rows.Count; i++)
        {
            var r = report.Rows[i];
            var items = perRow.GetValueOrDefault(i);
            string[] cells =
            [
                r.Night.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Bed, r.Facility, r.Ward, Local(r.LightsOff, zone),
                r.End is { } e ? Local(e, zone) : "", r.InProgress ? "true" : "false", N(r.TimeInBedMin), N(r.TotalSleepMin),
                N(r.SleepEfficiency), N(r.SleepOnsetLatencyMin), N(r.WasoMin), N(r.Awakenings), N(r.ArousalIndex),
                N(r.MeanSleepingHr), N(r.MeanWakingHr), N(r.HrDip), N(r.StimulatedMin), N(r.EfficiencyStimulated),
                N(r.EfficiencyUnstimulated), N(r.DebtHours), r.Sleeper?.Id ?? "", r.Sleeper?.Name ?? "", string.Join("; ", r.Assessments),
                AlarmCell(items?.Alarms, zone), ActionCell(items?.Actions, zone),
            ];
            sb.AppendJoin(',', cells.Select(Escape)).Append("\r\n");
        }

        foreach (var ((facility, bed), items) in extra)
        {
            var cells = new string[CsvHeader.Length];
            Array.Fill(cells, "");
            cells[0] = report.Night.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            cells[1] = bed;
            cells[2] = facility;
            cells[3] = bed.Length == 0 ? "" : options.WardOf(bed);
            cells[^2] = AlarmCell(items.Alarms, zone);
            cells[^1] = ActionCell(items.Actions, zone);
            sb.AppendJoin(',', cells.Select(Escape)).Append("\r\n");
        }

        return sb.ToString();
    }

    /// <summary>Which line each alarm and action goes on: the bed's night row that had begun when it was raised (else the
    /// bed's first), or a line of its own for a bed without a row and for facility alarms.</summary>
    private static (Dictionary<int, Items> PerRow, SortedDictionary<(string Facility, string Bed), Items> Extra) Place(NightReport report)
    {
        var perRow = new Dictionary<int, Items>();
        var extra = new SortedDictionary<(string, string), Items>(Comparer<(string Facility, string Bed)>.Create((x, y) =>
            string.CompareOrdinal(x.Facility, y.Facility) is var c and not 0 ? c : string.CompareOrdinal(x.Bed, y.Bed)));
        var alarmTarget = new Dictionary<string, Items>(StringComparer.Ordinal);

        Items Target(string facility, string? bed, DateTimeOffset at)
        {
            var best = -1;
            for (var i = 0; i < report.Rows.Count; i++)
            {
                var r = report.Rows[i];
                if (r.Facility == facility && r.Bed == bed && (best < 0 || r.LightsOff <= at))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                return perRow.TryGetValue(best, out var row) ? row : perRow[best] = new Items();
            }

            return extra.TryGetValue((facility, bed ?? ""), out var line) ? line : extra[(facility, bed ?? "")] = new Items();
        }

        foreach (var a in report.Alarms)
        {
            var target = Target(a.Facility, a.Bed, a.RaisedEventTime);
            target.Alarms.Add(a);
            alarmTarget[a.Id] = target;
        }

        foreach (var x in report.Actions)
        {
            var target = x.AlarmId is { } id && alarmTarget.TryGetValue(id, out var t) ? t : Target(x.Facility, x.Bed, x.EventTime ?? x.At);
            target.Actions.Add(x);
        }

        return (perRow, extra);
    }

    private static string AlarmCell(List<NightReportAlarm>? alarms, TimeZoneInfo zone) => alarms is null ? "" : string.Join(" | ",
        alarms.Select(a => $"{Local(a.RaisedEventTime, zone)} {a.Priority} {a.Type} ({a.State}): {a.Summary}"));

    private static string ActionCell(List<NightReportAction>? actions, TimeZoneInfo zone) => actions is null ? "" : string.Join(" | ",
        actions.Select(x => $"{Local(x.At, zone)} {x.Actor} {x.Action}{(x.AlarmType is null ? "" : " " + x.AlarmType)}{(string.IsNullOrEmpty(x.Detail) ? "" : ": " + x.Detail)}"));

    private sealed class Items
    {
        public List<NightReportAlarm> Alarms { get; } = [];

        public List<NightReportAction> Actions { get; } = [];
    }

    public static string FileName(NightReport report) =>
        $"somnis-night-{report.Night:yyyy-MM-dd}-{report.Bed ?? "facility"}.csv";

    private static string Local(DateTimeOffset t, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string N(double? v) => v is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) : "";

    internal static string Escape(string cell)
    {
        // Cells a spreadsheet would run as a formula are prefixed with an apostrophe (CSV injection).
        if (cell.Length > 0 && cell[0] is '=' or '+' or '@' || (cell.Length > 1 && cell[0] == '-' && !char.IsAsciiDigit(cell[1])))
        {
            cell = "'" + cell;
        }

        return cell.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }
}

/// <summary>What the console needs per bed for its night sparkline: mean p(sleep) per bucket, 0–100, −1 = out of bed.</summary>
public sealed record Sparkline(string Bed, string Facility, DateTimeOffset? NightStart, int BucketMinutes, IReadOnlyList<int> PSleep)
{
    public const int DefaultBucketMinutes = 10;

    internal static Sparkline From(BedSummary bed, BedNight? night)
    {
        var values = new List<int>();
        if (night is { NightStart: { } start })
        {
            var perBucket = DefaultBucketMinutes * 60 / (int)ScoredEpoch.Length.TotalSeconds;
            foreach (var chunk in night.Epochs.Chunk(perBucket))
            {
                var inBed = chunk.Where(e => e.InBed).ToList();
                values.Add(inBed.Count == 0 ? -1 : (int)Math.Round(inBed.Average(e => e.PSleep) * 100));
            }

            return new Sparkline(bed.Id, bed.Facility, start, DefaultBucketMinutes, values);
        }

        return new Sparkline(bed.Id, bed.Facility, null, DefaultBucketMinutes, values);
    }
}

/// <summary>Layout and time zone for the pages.</summary>
public sealed record DashboardLayout(string TimeZone, string DefaultWard, IReadOnlyList<WardView> Wards);

public sealed record WardView(string Name, IReadOnlyList<string> Beds);

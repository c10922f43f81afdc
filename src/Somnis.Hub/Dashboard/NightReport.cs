using System.Globalization;
using System.Text;
using Somnis.Hub.Api;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Dashboard;

/// <summary>One bed's night in a report. Times are instants (shown in the facility's zone); minutes, ratios 0–1.</summary>
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
    IReadOnlyList<string> Assessments);

/// <summary>The night of <see cref="Night"/> (lights-off from <see cref="From"/> up to <see cref="To"/>) for one bed or the facility.</summary>
public sealed record NightReport(DateOnly Night, string TimeZone, DateTimeOffset From, DateTimeOffset To, string? Bed, IReadOnlyList<NightReportRow> Rows);

/// <summary>Builds night reports from the detection service's nights (tonight and the past nights it keeps).</summary>
internal static class NightReports
{
    public static readonly string[] CsvHeader =
    [
        "night", "bed", "facility", "ward", "lights_off", "end", "in_progress", "time_in_bed_min", "total_sleep_min",
        "sleep_efficiency", "sleep_onset_latency_min", "waso_min", "awakenings", "arousal_index_per_h",
        "mean_sleeping_hr_bpm", "mean_waking_hr_bpm", "hr_dip", "stimulated_min", "efficiency_stimulated",
        "efficiency_unstimulated", "sleep_debt_h", "assessments",

        // Hook (alarms branch): "alarms" and "actions" columns go here once /api/alarms exists.
    ];

    /// <summary>The newest night any bed has started, or the night of <paramref name="now"/> when none has.</summary>
    public static DateOnly LatestNight(IEnumerable<BedSummary> beds, DetectionService detection, TimeZoneInfo zone, DateTimeOffset now)
    {
        DateTimeOffset? newest = null;
        foreach (var bed in beds)
        {
            if (detection.Night(bed.Facility, bed.Id) is { } n)
            {
                var start = n.NightStart ?? (n.PastNights.Count > 0 ? n.PastNights[^1].Start : null);
                if (start is { } s && (newest is null || s > newest))
                {
                    newest = s;
                }
            }
        }

        return NightCalendar.NightOf(newest ?? now, zone);
    }

    public static NightReport Build(DateOnly night, string? bedFilter, IEnumerable<BedSummary> beds, DetectionService detection, DashboardOptions options)
    {
        var zone = options.Zone();
        var (from, to) = NightCalendar.Window(night, zone);
        var rows = new List<NightReportRow>();
        foreach (var bed in beds.Where(b => bedFilter is null || b.Id == bedFilter))
        {
            if (detection.Night(bed.Facility, bed.Id) is not { } n)
            {
                continue;
            }

            foreach (var past in n.PastNights.Where(p => p.Start >= from && p.Start < to))
            {
                rows.Add(Row(bed, options.WardOf(bed.Id), night, past.Start, past.End, inProgress: false, past.Metrics, past.DebtHours, []));
            }

            if (n.NightStart is { } start && start >= from && start < to && n.Metrics is { } m)
            {
                rows.Add(Row(bed, options.WardOf(bed.Id), night, start, end: null, inProgress: true, m, n.DebtHours,
                    [.. n.Assessments.Where(a => a.Active).Select(a => $"{a.Type}: {a.Summary}")]));
            }
        }

        return new NightReport(night, options.TimeZone, from, to, bedFilter, rows);
    }

    private static NightReportRow Row(BedSummary bed, string ward, DateOnly night, DateTimeOffset start, DateTimeOffset? end, bool inProgress, NightMetrics m, double debt, IReadOnlyList<string> assessments) =>
        new(bed.Id, bed.Facility, ward, night, start, end, inProgress, m.TimeInBedMin, m.TotalSleepMin, R(m.SleepEfficiency),
            R(m.SleepOnsetLatencyMin), m.WasoMin, m.Awakenings, R(m.ArousalIndex), R(m.MeanSleepingHr), R(m.MeanWakingHr), R(m.HrDip),
            m.StimulatedMin, R(m.EfficiencyStimulated), R(m.EfficiencyUnstimulated), Math.Round(debt, 2), assessments);

    private static double? R(double? v) => v is { } x ? Math.Round(x, 3) : null;

    /// <summary>RFC 4180 CSV: one header line, one line per row; times in the facility's zone with their offset.</summary>
    public static string ToCsv(NightReport report, TimeZoneInfo zone)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', CsvHeader).Append("\r\n");
        foreach (var r in report.Rows)
        {
            string[] cells =
            [
                r.Night.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Bed, r.Facility, r.Ward, Local(r.LightsOff, zone),
                r.End is { } e ? Local(e, zone) : "", r.InProgress ? "true" : "false", N(r.TimeInBedMin), N(r.TotalSleepMin),
                N(r.SleepEfficiency), N(r.SleepOnsetLatencyMin), N(r.WasoMin), N(r.Awakenings), N(r.ArousalIndex),
                N(r.MeanSleepingHr), N(r.MeanWakingHr), N(r.HrDip), N(r.StimulatedMin), N(r.EfficiencyStimulated),
                N(r.EfficiencyUnstimulated), N(r.DebtHours), string.Join("; ", r.Assessments),
            ];
            sb.AppendJoin(',', cells.Select(Escape)).Append("\r\n");
        }

        return sb.ToString();
    }

    public static string FileName(NightReport report) =>
        $"somnis-night-{report.Night:yyyy-MM-dd}-{report.Bed ?? "facility"}.csv";

    private static string Local(DateTimeOffset t, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string N(double? v) => v is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string Escape(string cell)
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

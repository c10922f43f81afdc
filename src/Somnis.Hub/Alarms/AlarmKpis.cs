namespace Somnis.Hub.Alarms;

/// <summary>Alarm KPIs of one facility (EEMUA 191 / ISA-18.2, docs/alarms.md "Flood control and KPIs"). Rates and flood
/// are computed on event time, so an accelerated simulated night gives the figures a real night would.</summary>
/// <param name="Annunciations">Alarms raised or re-raised and shown on their own (grouped and suppressed ones excluded; an incident counts once).</param>
/// <param name="ObservedMinutes">Event-time span from the first annunciation to the facility's newest data.</param>
/// <param name="RatePer10Min">Annunciations in the last 10 min of event time.</param>
/// <param name="AverageRatePer10Min">Annunciations per 10 min over the observed span.</param>
/// <param name="PeakPer10Min">Most annunciations in any 10-min window.</param>
/// <param name="TimeInFloodMinutes">Event time in flood: starts above 10 per 10 min, ends below 5.</param>
/// <param name="TimeInFloodShare">Share of the observed span in flood (target &lt; 1 %).</param>
/// <param name="InFlood">The facility is in flood now.</param>
/// <param name="GroupedUnderIncidents">Per-bed alarms grouped under incidents (not counted in the rate).</param>
/// <param name="Suppressed">Alarms suppressed by design.</param>
/// <param name="TopBadActors">The beds and types that raised most often.</param>
/// <param name="AckLatencyMedianSeconds">Median hub time from annunciation to acknowledgement.</param>
public sealed record AlarmKpis(
    string Facility,
    int Annunciations,
    double ObservedMinutes,
    int RatePer10Min,
    double AverageRatePer10Min,
    int PeakPer10Min,
    double TimeInFloodMinutes,
    double TimeInFloodShare,
    bool InFlood,
    int Open,
    int ActiveUnacknowledged,
    int Shelved,
    int Chattering,
    int GroupedUnderIncidents,
    int Suppressed,
    IReadOnlyList<BadActor> TopBadActors,
    double? AckLatencyMedianSeconds,
    double? AckLatencyMaxSeconds,
    int Acknowledged,
    long WebhookDeadLetters,
    long LateIgnored);

/// <param name="Share">Share of all annunciations.</param>
public sealed record BadActor(string? Bed, string Type, int Count, double Share);

internal static class AlarmKpiCalculator
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    public const int FloodStart = 10;
    public const int FloodEnd = 5;

    /// <summary>Computes the KPIs from the facility's alarms and audit trail.</summary>
    /// <param name="now">The facility's newest event time (end of the observed span).</param>
    public static AlarmKpis Compute(string facility, IReadOnlyList<Alarm> alarms, IReadOnlyList<AuditEntry> audit, DateTimeOffset now, long deadLetters, long late)
    {
        var grouped = audit.Where(a => a.Action is "grouped" or "suppressed").Select(a => a.AlarmId).ToHashSet();
        var annunciations = audit
            .Where(a => a.Action is "raised" or "re-raised" && a.EventTime is not null && !grouped.Contains(a.AlarmId))
            .Select(a => (At: a.EventTime!.Value, a.Bed, Type: alarms.FirstOrDefault(x => x.Id == a.AlarmId)?.Type ?? "?"))
            .OrderBy(a => a.At)
            .ToList();
        var times = annunciations.Select(a => a.At).ToList();
        var (flood, peak, inFlood) = Flood(times, now);
        var start = times.Count > 0 ? times[0] : now;
        var span = now > start ? now - start : TimeSpan.Zero;
        var open = alarms.Where(a => !a.Closed).ToList();
        var latencies = alarms.Where(a => a.AckedAt is not null && a.AckedBy is not null).Select(a => (a.AckedAt!.Value - a.AnnouncedAt).TotalSeconds).Where(s => s >= 0).Order().ToList();
        var actors = annunciations.GroupBy(a => (a.Bed, a.Type)).Select(g => new BadActor(g.Key.Bed, g.Key.Type, g.Count(), Math.Round((double)g.Count() / Math.Max(1, annunciations.Count), 3)))
            .OrderByDescending(b => b.Count).ThenBy(b => b.Bed, StringComparer.Ordinal).Take(10).ToList();
        return new AlarmKpis(
            facility,
            annunciations.Count,
            Math.Round(span.TotalMinutes, 1),
            times.Count(t => t > now - Window && t <= now),
            span > TimeSpan.Zero ? Math.Round(times.Count / (span / Window), 2) : times.Count,
            peak,
            Math.Round(flood.TotalMinutes, 1),
            span > TimeSpan.Zero ? Math.Round(flood / span, 4) : 0,
            inFlood,
            open.Count,
            open.Count(a => a.State == AlarmStates.ActiveUnacknowledged),
            open.Count(a => a.ShelvedUntil is not null),
            alarms.Count(a => a.Chattering),
            alarms.Count(a => a.ParentId is not null),
            open.Count(a => a.Suppressed),
            actors,
            latencies.Count > 0 ? Math.Round(latencies[latencies.Count / 2], 1) : null,
            latencies.Count > 0 ? Math.Round(latencies[^1], 1) : null,
            latencies.Count,
            deadLetters,
            late);
    }

    /// <summary>Sweeps the sliding 10-min count over arrivals and expiries: flood starts when it exceeds
    /// <see cref="FloodStart"/> and ends when it falls below <see cref="FloodEnd"/>.</summary>
    internal static (TimeSpan Flood, int Peak, bool InFlood) Flood(IReadOnlyList<DateTimeOffset> times, DateTimeOffset now)
    {
        var events = times.Select(t => (At: t, Delta: 1)).Concat(times.Select(t => (At: t + Window, Delta: -1)))
            .Where(e => e.At <= now).OrderBy(e => e.At).ThenBy(e => e.Delta).ToList();
        int count = 0, peak = 0;
        DateTimeOffset? floodSince = null;
        var total = TimeSpan.Zero;
        foreach (var (at, delta) in events)
        {
            count += delta;
            peak = Math.Max(peak, count);
            if (floodSince is null && count > FloodStart)
            {
                floodSince = at;
            }
            else if (floodSince is { } since && count < FloodEnd)
            {
                total += at - since;
                floodSince = null;
            }
        }

        if (floodSince is { } open)
        {
            total += now - open;
        }

        return (total, peak, floodSince is not null);
    }
}

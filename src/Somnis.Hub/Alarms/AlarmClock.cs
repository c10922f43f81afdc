using System.Text.Json;
using Microsoft.Extensions.Options;
using Somnis.Hub.Beds;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The hub-time side of the alarm system, every <see cref="AlarmOptions.TickPeriod"/>: reads each bed's liveness and
/// sensor health from the <see cref="BedRegistry"/> (edge-offline, stale-data, sensor-fault), its delivery accounting
/// (data-gap when data is declared lost, clock-skew from the measured skew), runs hub-clock delays,
/// shelve expiry, re-alarm and escalation, and checks Architect commands against what the edges report.
/// </summary>
internal sealed class AlarmClock(
    AlarmEngine engine,
    ArchitectInterlock interlock,
    BedRegistry beds,
    DeliveryTracker delivery,
    IOptions<AlarmOptions> options,
    TimeProvider time,
    ILogger<AlarmClock> logger) : BackgroundService
{
    // Lost data per bed at the previous round: data-gap is raised when the count grows (latching keeps it for
    // acknowledgement). A gap still waiting for a replay is only "delayed" on the tile, not an alarm. A bed's first
    // baseline is what the checkpoint restored (a previous run reported that loss already: raising it again after every
    // restart was a false alarm); a loss declared after start but before the first round still raises.
    private readonly Dictionary<(string, string), long> _lost = [];
    private long _rounds;
    private int _rebase;

    /// <summary>Rounds completed so far: the systemd watchdog pings only while this grows (Health/SystemdWatchdog).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TickPeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                RunOnce();
            }
            catch (Exception ex)
            {
                // By design: one failed round must not stop alarming; the next tick tries again.
                Log.AlarmTickFailed(logger, ex);
            }
        }
    }

    /// <summary>
    /// Makes each bed's lost count at the next round the baseline for data-gap: only loss declared after that raises.
    /// For a node that starts acting without having watched the beds all along (cluster takeover); a node that kept
    /// running its rounds while standby does not need it, its counts are current. Thread-safe.
    /// </summary>
    public void ResetBaseline() => Interlocked.Exchange(ref _rebase, 1);

    /// <summary>One round (tests call it directly with a fake clock).</summary>
    internal void RunOnce()
    {
        var rebase = Interlocked.Exchange(ref _rebase, 0) == 1;
        var now = time.GetUtcNow();
        var all = beds.Unordered();
        foreach (var bed in all)
        {
            ObserveBed(bed, now, rebase);
        }

        engine.Tick();
        interlock.Check(all);
        Interlocked.Increment(ref _rounds);
    }

    private void ObserveBed(BedSummary bed, DateTimeOffset now, bool rebase)
    {
        var eventTime = bed.LastEventTime ?? engine.EventClock(bed.Facility, null) ?? now;
        // Evidence only matters while a condition holds; serialising it for every healthy bed on every tick made a JSON
        // document per bed per tick, for nothing (docs/performance.md, "What was changed", alarm clock).
        var problem = !bed.Online || bed.Stale || bed.Sensors.Any(s => !s.Healthy);
        var evidence = problem ? AlarmEvidence.BedCondition(bed) : (JsonElement?)null;
        // The summaries are read only while a condition holds: no strings for the healthy beds on every tick.
        var since = !problem ? "" : bed.LastSeen is { } seen ? $"last message {(now - seen).TotalSeconds:0} s ago" : "never heard from";
        engine.Observe(new ConditionInput(AlarmTypes.EdgeOffline, bed.Facility, bed.Id, !bed.Online, now, eventTime,
            bed.Online ? "" : $"Edge offline ({since})", evidence));
        engine.Observe(new ConditionInput(AlarmTypes.StaleData, bed.Facility, bed.Id, bed.Stale, now, eventTime,
            bed.Stale ? $"No data from a connected edge ({since})" : "", evidence));

        // Sensor health arrives in the status message; its delays run on the bed's event time.
        if (bed.LastEventTime is { } bedTime)
        {
            if (bed.Delivery is { } d)
            {
                var key = (bed.Facility, bed.Id);
                var before = rebase ? d.Lost : _lost.TryGetValue(key, out var previous) ? previous : delivery.LostAtStart(bed.Facility, bed.Id);
                var grew = d.Lost > before;
                _lost[key] = d.Lost;
                engine.ReportDataGap(bed.Facility, bed.Id, grew, bedTime,
                    grew ? $"{d.Lost} messages lost for good (seq {string.Join(", ", d.LostRanges.Select(r => r.From == r.To ? $"{r.From}" : $"{r.From}–{r.To}"))})" : "no new loss");
            }

            if (bed.Clock?.SkewSeconds is { } skew)
            {
                engine.ReportClockSkew(bed.Facility, bed.Id, TimeSpan.FromSeconds(skew), bedTime);
            }

            var faulty = problem ? bed.Sensors.Where(s => !s.Healthy).ToList() : [];
            engine.Observe(new ConditionInput(AlarmTypes.SensorFault, bed.Facility, bed.Id, faulty.Count > 0, bedTime, bedTime,
                faulty.Count > 0 ? "Sensor fault: " + string.Join(", ", faulty.Select(s => $"{s.Name} ({s.Reason ?? "unknown"})")) : "sensors healthy",
                evidence));
        }
    }
}

using Microsoft.Extensions.Options;
using Somnis.Edge;
using Somnis.Edge.Simulation;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Demo;

/// <summary>What the story did.</summary>
/// <param name="Admitted">Sleepers admitted now (the others were admitted by an earlier run on the same data).</param>
/// <param name="Sleepers">Sleepers of the cast in their beds, admitted now or before.</param>
/// <param name="Filled">Sleepers whose history was written now (a sleeper with nights of record gets none).</param>
internal sealed record DemoSummary(int Cast, int Admitted, int Sleepers, int HistoryNights, int Filled, int Nights, TimeSpan Elapsed)
{
    public static DemoSummary None { get; } = new(0, 0, 0, 0, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// The demo's story (docs/study.md, "The demo's story"), told before the simulated beds start: one named sleeper per bed
/// (<see cref="DemoCast"/>) is created and admitted from the start of their history, and each sleeper's past nights are
/// simulated, scored and written (<see cref="DemoHistory"/>, in parallel across beds); then the gate opens and the beds'
/// live night follows the last past night. Idempotent on the same data directory: a bed that has had any admission keeps
/// its story, and a sleeper with nights of record gets no history, so a restarted demo duplicates nothing.
/// </summary>
internal sealed class DemoStory(
    ISleeperStore sleepers,
    INightStore nights,
    NightRecorder recorder,
    NightWriter writer,
    SleeperLedger ledger,
    IOptions<DemoOptions> demo,
    IOptions<EdgeOptions> edge,
    IOptions<DetectionOptions> detection,
    IOptions<DashboardOptions> dashboard,
    TimeProvider time,
    EdgeStartGate gate,
    ILogger<DemoStory> logger) : BackgroundService
{
    /// <summary>The actor of the story's audit entries.</summary>
    public const string Actor = "demo";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Run(() => Tell(stoppingToken), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // By design: the live demo runs even when its story cannot be written (the store failing, say).
            Log.DemoStoryFailed(logger, ex);
        }
        finally
        {
            gate.Open();
        }
    }

    /// <summary>Creates and admits the cast, then writes the history of every sleeper that has no nights yet.</summary>
    internal DemoSummary Tell(CancellationToken cancellationToken)
    {
        var o = edge.Value;
        var beds = o.Beds == 0 ? [] : o.BedIds();
        if (beds.Count == 0 || !Scenarios.TryAssign(o.Scenario, beds.Count, out var live, out _))
        {
            return DemoSummary.None;
        }

        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var zone = dashboard.Value.Zone();
        var tonight = NightCalendar.NightOf(now, zone);
        var historyNights = demo.Value.HistoryNightsFor(beds.Count);
        var cast = DemoCast.Create(beds, live, o.Seed);
        var admitted = 0;
        var inBeds = new List<(DemoSleeper Cast, Sleeper Sleeper)>();
        foreach (var member in cast)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Admit(member, o.Facility, tonight, historyNights, now, zone, ref admitted) is { } sleeper)
            {
                inBeds.Add((member, sleeper));
            }
        }

        Log.DemoCast(logger, inBeds.Count, admitted, cast.Count(c => c.Role == DemoRole.ArchitectUser), cast.Count(c => c.Role == DemoRole.Companion),
            cast.Count(c => c.Role == DemoRole.Switcher));
        var toFill = historyNights == 0 ? [] : inBeds.Where(x => nights.SleeperNights(x.Sleeper.Id, null, 1).Count == 0).ToList();
        if (toFill.Count == 0)
        {
            return new DemoSummary(cast.Count, admitted, inBeds.Count, historyNights, 0, 0, time.GetElapsedTime(started));
        }

        Log.DemoHistoryStarted(logger, historyNights, toFill.Count, inBeds.Count - toFill.Count);
        // The beds wait meanwhile, so the process's CPU time is the history's (docs/performance.md reports both).
        var cpu = Environment.CpuUsage.TotalTime;
        var written = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        Parallel.ForEach(toFill, parallel, x =>
        {
            var plan = DemoHistory.Plan(x.Cast, x.Sleeper, tonight, historyNights, zone, o.NightLength, detection.Value.NightGap, now);
            Interlocked.Add(ref written, DemoHistory.Record(x.Cast, o.Facility, plan, recorder, detection.Value, o.NightLength, o.Interval, cancellationToken));
            Flush();
        });

        var summary = new DemoSummary(cast.Count, admitted, inBeds.Count, historyNights, toFill.Count, written, time.GetElapsedTime(started));
        Log.DemoHistoryWritten(logger, summary.Nights, summary.Filled, summary.Elapsed, Environment.CpuUsage.TotalTime - cpu, Environment.ProcessorCount);
        return summary;
    }

    /// <summary>
    /// Creates the sleeper (unless an earlier run did) and admits them to their bed from the start of their history; a bed
    /// that has had any admission is left as it is. Returns the sleeper in the bed, or null when the bed is someone else's.
    /// </summary>
    private Sleeper? Admit(DemoSleeper member, string facility, DateOnly tonight, int historyNights, DateTimeOffset now, TimeZoneInfo zone, ref int admitted)
    {
        var bedAdmissions = sleepers.Admissions(facility, member.Bed, null);
        if (bedAdmissions.Count > 0)
        {
            // This demo on the same data, or a person since: either way the bed's story is told.
            return bedAdmissions.Any(a => a.To is null && a.SleeperId == member.Id) ? sleepers.FindSleeper(member.Id) : null;
        }

        var sleeper = sleepers.FindSleeper(member.Id);
        if (sleeper is null)
        {
            sleeper = new Sleeper(member.Id, member.Name, Notes(member.Role), member.Programs(tonight, historyNights));
            var created = AdmissionRules.Audit(now, null, SleeperService.AnyFacility, null, "sleeper-created", Actor, $"sleeper {member.Id}");
            if (!sleepers.CreateSleeper(sleeper, created))
            {
                return null;
            }

            ledger.SleeperAdded(sleeper);
        }

        var from = historyNights > 0 ? DemoHistory.Local(tonight.AddDays(-historyNights), new TimeOnly(18, 0), zone) : now;
        var (change, refused) = AdmissionRules.Admit(facility, member.Bed, member.Id, from, transfer: false, bedAdmissions,
            sleepers.Admissions(null, null, member.Id), Actor, now);
        if (refused is not null)
        {
            Log.DemoAdmissionSkipped(logger, member.Id, member.Bed, refused.Problem);
            return null;
        }

        // Audited like any admission; logged once for the whole cast (Log.DemoCast), not per bed.
        var opened = sleepers.ApplyAdmission(change!);
        // Before the history: the live path names the bed's sleeper, and each past night counts for their debt as it ends.
        ledger.AdmissionChanged(change!.Close, opened);
        admitted++;
        return sleeper;
    }

    /// <summary>Writes what is queued now, so the study shows each sleeper's history as soon as it is simulated. A store
    /// that fails leaves it queued: the night writer retries, as for live nights.</summary>
    private void Flush()
    {
        try
        {
            while (writer.WriteOnce() > 0)
            {
            }
        }
        catch (Exception ex)
        {
            // By design: the batch is back in the writer's queue and written when the store takes it again.
            Log.DemoHistoryQueued(logger, writer.Queue.Nights, ex.Message);
        }
    }

    private static string Notes(DemoRole role) => role switch
    {
        DemoRole.ArchitectUser => "Simulated demo sleeper: sleeps with a Dream Architect and leaves it off on some nights.",
        DemoRole.Companion => "Simulated demo sleeper: in the Companions program from the start, no Architect.",
        _ => "Simulated demo sleeper: switched from the Architect to the Companions program half-way.",
    };
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Somnis.Edge.Publishing;
using Somnis.Edge.Sensing;
using Somnis.Edge.Simulation;

namespace Somnis.Edge;

/// <summary>
/// Runs every bed of this process: one <see cref="BedLink"/> (its own MQTT client) and one produce loop per bed.
/// A fleet of simulated beds is many of these side by side in one process.
/// </summary>
internal sealed class EdgeService(
    IOptions<EdgeOptions> options,
    BedSourceFactory sources,
    TimeProvider time,
    ILogger<EdgeService> logger) : BackgroundService
{
    private readonly List<(BedRunner Runner, BedLink Link)> _beds = [];

    /// <summary>The running beds, for health checks and tests.</summary>
    public IReadOnlyList<(BedRunner Runner, BedLink Link)> Beds => _beds;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var ids = o.BedIds();
        if (o.Beds == 0)
        {
            ids = [];
        }

        Log.Started(logger, o.Facility, ids.Count, o.Mode, o.Broker, o.Speed);
        for (var i = 0; i < ids.Count; i++)
        {
            var source = sources.Create(ids[i], i, ids.Count);
            var runner = new BedRunner(o.Facility, ids[i], source, o.Interval, o.Speed, time, logger);
            var link = new BedLink(o.Facility, ids[i], o, () => runner.Status(), time, logger);
            _beds.Add((runner, link));
        }

        var tasks = _beds.Select(b => RunBedAsync(b.Runner, b.Link, stoppingToken)).ToList();
        await Task.WhenAll(tasks);
    }

    private async Task RunBedAsync(BedRunner runner, BedLink link, CancellationToken ct)
    {
        await Task.Yield();
        var connection = link.RunAsync(ct);
        using var commands = new CommandListener(options.Value.Facility, runner, options.Value, time, logger);
        var commandLoop = commands.RunAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(runner, link, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: a failing iteration (e.g. a sensor throwing) must not stop this bed or the others.
                Log.BedLoopFailed(logger, runner.Bed, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
            }
        }

        await connection;
        await commandLoop;
        await link.DisposeAsync();
    }

    /// <summary>One iteration: produce what is due, then wait for the next interval (at least 5 ms, so a very fast
    /// simulation produces in batches instead of spinning; at most 200 ms, so an interlock change is reported promptly).</summary>
    internal async Task RunOnceAsync(BedRunner runner, BedLink link, CancellationToken ct)
    {
        await runner.ProduceDueAsync(link.EnqueueAsync, max: 2000, ct);
        var wait = runner.UntilNextDue();
        wait = wait > TimeSpan.FromMilliseconds(200) ? TimeSpan.FromMilliseconds(200) : wait;
        await Task.Delay(wait < TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5) : wait, time, ct);
    }
}

/// <summary>Creates each bed's source from the options: the simulator, or (hardware mode) the real sensors.</summary>
internal sealed class BedSourceFactory(IOptions<EdgeOptions> options)
{
    public IBedSource Create(string bed, int index, int fleetSize)
    {
        var o = options.Value;
        if (o.Mode == "hardware")
        {
            throw new NotSupportedException("hardware mode needs the sensor configuration (Edge:Sensors); see hardware/README.md");
        }

        Scenarios.TryAssign(o.Scenario, fleetSize, out var scenarios, out _);
        var seed = unchecked((o.Seed * 7919) + index);
        var incidentBeds = (int)Math.Round(o.IncidentShare * fleetSize);
        var timeline = new SimulationTimeline(o.NightLength, o.DayLength, o.IncidentAt);
        var model = new SleeperModel(scenarios[index], seed, timeline, inIncidentGroup: index < incidentBeds);
        return new SimulatedBedSource(model, seed, o.Speed);
    }
}

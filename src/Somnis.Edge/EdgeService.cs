using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Somnis.Contracts;
using Somnis.Contracts.Mqtt;
using Somnis.Edge.Publishing;
using Somnis.Edge.Sensing;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge;

/// <summary>
/// Runs every bed of this process: one <see cref="BedLink"/> (its own MQTT connection), one
/// <see cref="CommandListener"/> and one produce loop per bed. A fleet of simulated beds is many of these side by side
/// in one process.
/// </summary>
/// <param name="pipelines">The beds' publish pipelines (<see cref="PublishPipeline"/>); null only where a test builds the
/// service by hand, which then gets pipelines without telemetry.</param>
/// <param name="meters">For the connection metrics (meter <see cref="MeterName"/>); null: none.</param>
/// <param name="gate">Registered by a host that must finish something before the beds start (the hub's demo); null: start at once.</param>
internal sealed class EdgeService(
    IOptions<EdgeOptions> options,
    BedSourceFactory sources,
    ClockQuality clock,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<EdgeService> logger,
    ResiliencePipelineProvider<PublishPipeline.Key>? pipelines = null,
    IMeterFactory? meters = null,
    EdgeStartGate? gate = null) : BackgroundService
{
    /// <summary>The edge's own meter: its MQTT connections (<c>somnis.edge.broker.*</c>, tagged <c>data</c> or <c>command</c>).</summary>
    public const string MeterName = "Somnis.Edge";

    private readonly List<(BedRunner Runner, BedLink Link)> _beds = [];
    private readonly MqttConnectionMetrics? _metrics = meters is null ? null : new MqttConnectionMetrics(meters.Create(MeterName), "somnis.edge.broker");

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

        Log.Started(logger, o.Facility, ids.Count, o.Mode.Label(), o.Broker, o.Speed);
        if (o.Journal is { Length: > 0 } dir)
        {
            Log.JournalOpened(logger, Path.GetFullPath(dir), o.JournalMaxBytes, o.JournalMaxAge, o.JournalFlushInterval, o.JournalFlushBytes);
        }
        else
        {
            Log.JournalInMemory(logger);
        }

        if (ids.Count > 0 && gate is { IsOpen: false })
        {
            // Before any bed exists: their device clocks start when they are created, after the wait.
            Log.BedsWaiting(logger, ids.Count, gate.Reason);
            var since = time.GetTimestamp();
            await gate.WaitAsync(stoppingToken);
            Log.BedsStarting(logger, ids.Count, time.GetElapsedTime(since));
        }

        for (var i = 0; i < ids.Count; i++)
        {
            var source = sources.Create(ids[i], i, ids.Count);
            var runner = new BedRunner(o.Facility, ids[i], source, o.Interval, o.Speed, time, logger);
            Journal journal;
            try
            {
                journal = Journal.Open(JournalSettings.For(o, o.Facility, ids[i]), ids[i], time, runner.DeviceNow, logger);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The journal is the promise that nothing is lost: without it the edge must not run.
                Log.JournalUnavailable(logger, ids[i], o.Journal ?? "", ex.Message);
                Environment.ExitCode = 3;
                lifetime.StopApplication();
                return;
            }

            runner.Restore(journal.LastSequence, journal.LastEventTime);
            var pipeline = pipelines?.For(ids[i]) ?? PublishPipeline.Configure(new ResiliencePipelineBuilder { TimeProvider = time }).Build();
            var link = new BedLink(o.Facility, ids[i], o, journal, () => runner.Status(), clock.Current, pipeline, time, logger);
            _metrics?.Watch("data", link.Connection);
            _beds.Add((runner, link));
        }

        var tasks = _beds.Select(b => RunBedAsync(b.Runner, b.Link, stoppingToken)).ToList();
        await Task.WhenAll(tasks);
    }

    private async Task RunBedAsync(BedRunner runner, BedLink link, CancellationToken ct)
    {
        await Task.Yield();
        var connection = link.RunAsync(ct);
        await using var commands = new CommandListener(options.Value.Facility, runner, options.Value, time, logger);
        _metrics?.Watch("command", commands.Connection);
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

/// <summary>
/// Creates each bed's source from the options: the model-level simulator, or the sensors (hardware mode) through the
/// real drivers, on the Pi's buses or, with <c>Edge:Simulation:Level</c> = <c>chips</c>, on emulated chips driven by the
/// sleeper model.
/// </summary>
internal sealed class BedSourceFactory(IOptions<EdgeOptions> options, TimeProvider? time = null, ILoggerFactory? loggers = null)
{
    public IBedSource Create(string bed, int index, int fleetSize)
    {
        var o = options.Value;
        var chips = o.Simulation.Level == SimulationLevel.Chips;
        var logger = (ILogger?)loggers?.CreateLogger<HardwareBedSource>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (o.Mode == EdgeMode.Hardware && !chips)
        {
            var sensors = o.Sensors ?? throw new InvalidOperationException("Edge:Sensors is missing");
            Log.HardwareStarted(logger, bed, "real", Describe(sensors));
            return new HardwareBedSource(bed, sensors, new RealSensorBuses(time ?? TimeProvider.System), o.Mode.Label(), null, logger);
        }

        Scenarios.TryAssign(o.Scenario, fleetSize, out var scenarios, out _);
        var seed = unchecked((o.Seed * 7919) + index);
        var incidentBeds = (int)Math.Round(o.IncidentShare * fleetSize);
        var timeline = new SimulationTimeline(o.NightLength, o.DayLength, o.IncidentAt);
        var model = new SleeperModel(scenarios[index], seed, timeline, inIncidentGroup: index < incidentBeds);
        if (chips)
        {
            var sensors = o.Sensors ?? throw new InvalidOperationException("Edge:Sensors is missing");
            Log.HardwareStarted(logger, bed, "emulated", Describe(sensors));
            var buses = new EmulatedSensorBuses(new EmulatedBed(model, seed), sensors);
            return new HardwareBedSource(bed, sensors, buses, o.Mode.Label(), new SimulationInfo(model.Scenario.Name(), seed, o.Speed), logger);
        }

        return new SimulatedBedSource(model, seed, o.Speed);
    }

    private static string Describe(SensorsOptions s) =>
        string.Join(", ", SensorsOptionsValidator.Roles(s).Select(r => $"{r.Role}={r.Sensor.Chip}"));
}

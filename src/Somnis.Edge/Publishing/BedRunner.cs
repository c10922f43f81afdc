using System.Reflection;
using Microsoft.Extensions.Logging;
using Somnis.Contracts;
using Somnis.Edge.Sensing;

namespace Somnis.Edge.Publishing;

/// <summary>
/// Runs one bed: every interval of the source's time it reads the sensors, stamps the reading with the device
/// clock and the next sequence number, and queues it for publishing. With a speed factor the device clock runs
/// faster than real time (simulated time = start + elapsed real time × speed), so a night passes in minutes and
/// everything downstream, which works in event time, behaves as on a real night.
/// </summary>
internal sealed class BedRunner
{
    private static readonly string Software =
        typeof(BedRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>This run of the edge program, in every status (see <see cref="StatusMessage.Boot"/>).</summary>
    private static readonly string Boot = Guid.NewGuid().ToString("N");

    private readonly string _facility;
    private readonly string _bed;
    private readonly IBedSource _source;
    private readonly TimeSpan _interval;
    private readonly double _speed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _realStart;
    private DateTimeOffset _eventStart;
    private IReadOnlyList<SensorHealth> _sensors = [];
    private readonly Lock _interlockSync = new();
    private bool _stimulating;
    private bool _hubPause;
    private bool _localSafe;
    private bool _interlockEngaged;
    private (string? CommandId, string? Reason)? _interlockReport;
    private long _seq;
    private long _produced;

    public BedRunner(string facility, string bed, IBedSource source, TimeSpan interval, double speed, TimeProvider time, ILogger logger)
    {
        _facility = facility;
        _bed = bed;
        _source = source;
        _interval = interval;
        _speed = speed;
        _time = time;
        _logger = logger;
        _realStart = _eventStart = time.GetUtcNow();
    }

    public string Bed => _bed;

    /// <summary>
    /// Continues after what the journal holds from an earlier run: sequence numbers go on after
    /// <paramref name="lastSeq"/> (never reused, so the hub cannot mistake new data for duplicates), and a simulated
    /// device clock continues from <paramref name="lastEventTime"/> instead of jumping back. A real clock is left alone.
    /// </summary>
    public void Restore(long lastSeq, DateTimeOffset? lastEventTime)
    {
        Interlocked.Exchange(ref _seq, Math.Max(lastSeq, Interlocked.Read(ref _seq)));
        if (_source.Mode == "simulated" && lastEventTime is { } last && last > _eventStart)
        {
            _eventStart = last;
        }
    }

    public long LastSequence => Interlocked.Read(ref _seq);

    /// <summary>The interlock as applied to the source (hub pause or local safe rule).</summary>
    public bool InterlockEngaged
    {
        get
        {
            lock (_interlockSync)
            {
                return _interlockEngaged;
            }
        }
    }

    /// <summary>Applies a hub command (pause = engage) at once; the change is reported by the next produce round.</summary>
    public void ApplyCommand(bool pause, string commandId) => SetInterlock(pause, null, commandId, null);

    /// <summary>The local safe rule: engaged while the hub is unreachable, whatever the hub asked for before.</summary>
    public void SetLocalSafe(bool engaged) => SetInterlock(null, engaged, null, engaged ? "hub-unreachable" : "hub-reachable");

    private void SetInterlock(bool? hubPause, bool? localSafe, string? commandId, string? reason)
    {
        lock (_interlockSync)
        {
            _hubPause = hubPause ?? _hubPause;
            _localSafe = localSafe ?? _localSafe;
            var engaged = _hubPause || _localSafe;
            if (engaged != _interlockEngaged)
            {
                _interlockEngaged = engaged;
                _source.SetInterlock(engaged);
                _interlockReport = (commandId, reason);
            }
            else if (commandId is not null)
            {
                // Already in the wanted state (e.g. a retained command after reconnect): still confirm the command.
                _interlockReport = (commandId, reason);
            }
        }
    }

    /// <summary>The device clock: real time in hardware mode, accelerated time in a sped-up simulation.</summary>
    public DateTimeOffset DeviceNow()
    {
        var real = _time.GetUtcNow() - _realStart;
        return _eventStart + TimeSpan.FromTicks((long)(real.Ticks * _speed));
    }

    public StatusMessage Status(string state = DeviceStates.Online) => new()
    {
        Bed = _bed,
        Seq = LastSequence,
        Ts = DeviceNow(),
        State = state,
        Mode = _source.Mode,
        Software = Software,
        Simulation = _source.Simulation,
        Sensors = _sensors,
        Boot = Boot,
    };

    /// <summary>Produces every interval that is due by now (at most <paramref name="max"/>), in order.</summary>
    internal async Task<int> ProduceDueAsync(Func<OutgoingMessage, CancellationToken, ValueTask> send, int max, CancellationToken ct)
    {
        var dueTicks = (_time.GetUtcNow() - _realStart).Ticks * _speed;
        var due = (long)(dueTicks / _interval.Ticks);
        var made = 0;
        (string? CommandId, string? Reason)? report;
        bool engaged;
        lock (_interlockSync)
        {
            report = _interlockReport;
            _interlockReport = null;
            engaged = _interlockEngaged;
        }

        if (report is { } r)
        {
            // Stamped with the newest produced interval's time, so it orders with the vitals around it.
            var evt = new ArchitectEvent
            {
                Bed = _bed, Seq = NextSeq(), Ts = _eventStart + (_interval * Math.Max(1, _produced)), Stimulating = _stimulating,
                InterlockEngaged = engaged, CommandId = r.CommandId, Reason = r.Reason,
            };
            Log.InterlockChanged(_logger, _bed, engaged, r.CommandId ?? r.Reason ?? "");
            await send(OutgoingMessage.Architect(_facility, evt), ct);
        }

        while (_produced < due && made < max)
        {
            _produced++;
            made++;
            var reading = _source.Next(_interval);
            var ts = _eventStart + (_interval * _produced);
            if (!_sensors.SequenceEqual(reading.Sensors))
            {
                _sensors = reading.Sensors;
                foreach (var s in reading.Sensors.Where(s => !s.Healthy))
                {
                    Log.SensorFault(_logger, _bed, s.Name, s.Reason ?? "unknown");
                }

                await send(OutgoingMessage.Status(_facility, Status() with { Ts = ts }), ct);
            }

            if (reading.ArchitectStimulating != _stimulating)
            {
                _stimulating = reading.ArchitectStimulating;
                var evt = new ArchitectEvent { Bed = _bed, Seq = NextSeq(), Ts = ts, Stimulating = _stimulating, InterlockEngaged = engaged };
                await send(OutgoingMessage.Architect(_facility, evt), ct);
            }

            await send(OutgoingMessage.Vitals(_facility, Vitals(_bed, NextSeq(), ts, _interval, reading, engaged)), ct);
        }

        return made;
    }

    /// <summary>The vitals message of one interval's reading, stamped <paramref name="ts"/> (the end of the interval).</summary>
    /// <param name="engaged">The interlock as the edge applies it (hub pause or local safe rule).</param>
    internal static VitalsMessage Vitals(string bed, long seq, DateTimeOffset ts, TimeSpan interval, BedReading reading, bool engaged) => new()
    {
        Bed = bed,
        Seq = seq,
        Ts = ts,
        IntervalSeconds = interval.TotalSeconds,
        HeartRate = reading.HeartRate,
        RespirationRate = reading.RespirationRate,
        ActivityCount = reading.ActivityCount,
        SkinTemperature = reading.SkinTemperature,
        RoomTemperature = reading.RoomTemperature,
        BedPresence = reading.BedPresence,
        SignalQuality = reading.SignalQuality,
        ArchitectStimulating = reading.ArchitectStimulating,
        // Confirmed state: the hub's pause or the local safe rule, or the relay read back in hardware mode.
        InterlockEngaged = engaged || reading.InterlockEngaged,
    };

    /// <summary>Real time until the next interval is due.</summary>
    internal TimeSpan UntilNextDue()
    {
        var nextEventTicks = (_produced + 1) * _interval.Ticks;
        var realTicks = (long)(nextEventTicks / _speed);
        var wait = _realStart + TimeSpan.FromTicks(realTicks) - _time.GetUtcNow();
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private long NextSeq() => Interlocked.Increment(ref _seq);
}

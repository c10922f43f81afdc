using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Health;

/// <summary>
/// Sends systemd watchdog pings (<c>WATCHDOG=1</c>) while the hub really works: its alarm clock completes rounds (the
/// loop that raises, escalates and times out alarms, taking the same engine lock as ingestion). Microsoft.Extensions.
/// Hosting.Systemd sends READY/STOPPING but no pings, so with <c>WatchdogSec</c> set (deploy/systemd/somnis-hub.service)
/// a hub whose alarm loop hangs or fails every round is restarted by systemd. Does nothing when not started by systemd
/// with a watchdog (no <c>WATCHDOG_USEC</c>). The edge has its own (Somnis.Edge.Sensors.SystemdWatchdog).
/// </summary>
internal sealed class SystemdWatchdog(AlarmClock clock, IOptions<AlarmOptions> alarms, TimeProvider time, ISystemdNotifier? notifier = null) : BackgroundService
{
    /// <summary>Time for the hub to start before the alarm clock must make progress.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private readonly long _start = time.GetTimestamp();
    private (long Rounds, TimeSpan Since) _progress = (-1, TimeSpan.Zero);

    /// <summary>How often to ping: half of systemd's <c>WatchdogSec</c> (<c>WATCHDOG_USEC</c>), or null without a watchdog.</summary>
    internal TimeSpan? Period { get; init; } =
        long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec / 2.0)
            : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifier is null || Period is not { } period)
        {
            return;
        }

        using var timer = new PeriodicTimer(period, time);
        do
        {
            Beat();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One period of the loop: pings systemd if the hub is alive. On its own so that a test can run a period and
    /// see that nothing was sent (an absence the running loop gives no signal for).</summary>
    internal void Beat()
    {
        if (Alive())
        {
            notifier?.Notify(new ServiceState("WATCHDOG=1"));
        }
    }

    /// <summary>True while the alarm clock completed a round within the last max(20 tick periods, 30 s), and during the
    /// first minute after start.</summary>
    internal bool Alive()
    {
        var now = time.GetElapsedTime(_start);
        var rounds = clock.Rounds;
        if (rounds != _progress.Rounds)
        {
            _progress = (rounds, now);
        }

        var allowed = TimeSpan.FromTicks(Math.Max(alarms.Value.TickPeriod.Ticks * 20, TimeSpan.FromSeconds(30).Ticks));
        return now < Grace || now - _progress.Since <= allowed;
    }
}

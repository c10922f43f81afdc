using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;

namespace Somnis.Edge.Sensors;

/// <summary>
/// Sends systemd watchdog pings (<c>WATCHDOG=1</c>) while every bed keeps producing readings. Microsoft.Extensions.
/// Hosting.Systemd sends READY/STOPPING but no watchdog pings (dotnet/extensions#1241), so a hung sampling loop
/// would go unnoticed; with <c>WatchdogSec</c> set (deploy/systemd/somnis-edge.service) systemd restarts the edge
/// when the pings stop. Does nothing when not started by systemd with a watchdog (no <c>WATCHDOG_USEC</c>).
/// </summary>
internal sealed class SystemdWatchdog(EdgeService edge, IOptions<EdgeOptions> options, TimeProvider time, ISystemdNotifier? notifier = null) : BackgroundService
{
    private readonly Dictionary<string, (long Seq, TimeSpan Since)> _progress = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifier is null || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return;
        }

        var period = TimeSpan.FromMicroseconds(usec / 2.0);
        var start = time.GetTimestamp();
        using var timer = new PeriodicTimer(period, time);
        do
        {
            if (Alive(time.GetElapsedTime(start)))
            {
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>True while every bed's sequence number advanced within three intervals (one minute of grace at start).</summary>
    internal bool Alive(TimeSpan now)
    {
        var allowed = TimeSpan.FromTicks(Math.Max(options.Value.Interval.Ticks * 3, TimeSpan.FromSeconds(30).Ticks));
        if (now < TimeSpan.FromMinutes(1))
        {
            return true;
        }

        foreach (var (runner, _) in edge.Beds)
        {
            var seq = runner.LastSequence;
            if (!_progress.TryGetValue(runner.Bed, out var p) || p.Seq != seq)
            {
                _progress[runner.Bed] = (seq, now);
            }
            else if (now - p.Since > allowed)
            {
                return false;
            }
        }

        return true;
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Somnis.Contracts;

namespace Somnis.Edge;

/// <summary>
/// Whether the edge's clock can be trusted, for the status message. The edge timestamps every reading with its own
/// clock; a Pi that booted without network runs on a stale clock until NTP synchronises it, and the hub must know.
/// Configured (<c>Edge:ClockSynchronised</c>) wins; otherwise simulated beds report synchronised and hardware asks
/// systemd (<c>timedatectl show -p NTPSynchronized</c>, refreshed at most once a minute in the background).
/// </summary>
internal sealed class ClockQuality(IOptions<EdgeOptions> options, TimeProvider time, ILogger<ClockQuality> logger)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);
    private ClockStatus _current = new(false, "unknown");
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;
    private int _refreshing;
    private bool _warned;

    public ClockStatus Current()
    {
        var o = options.Value;
        if (o.ClockSynchronised is { } configured)
        {
            return new ClockStatus(configured, "configured");
        }

        if (o.Mode != EdgeMode.Hardware)
        {
            return new ClockStatus(true, "simulated");
        }

        if (time.GetUtcNow() - _refreshedAt > RefreshEvery && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = Task.Run(RefreshAsync);
        }

        return Volatile.Read(ref _current);
    }

    private async Task RefreshAsync()
    {
        try
        {
            Volatile.Write(ref _current, await ReadTimedatectlAsync());
        }
        catch (Exception ex)
        {
            // By design: no systemd (or no timedatectl) means the quality is unknown, reported as not synchronised.
            Volatile.Write(ref _current, new ClockStatus(File.Exists("/run/systemd/timesync/synchronized"), "unknown"));
            if (!_warned)
            {
                _warned = true;
                Log.ClockUnknown(logger, $"timedatectl unavailable ({ex.Message}); reporting the clock as {(_current.Synchronised ? "synchronised" : "not synchronised")}");
            }
        }
        finally
        {
            _refreshedAt = time.GetUtcNow();
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private static async Task<ClockStatus> ReadTimedatectlAsync()
    {
        var psi = new ProcessStartInfo("timedatectl", ["show", "-p", "NTPSynchronized", "--value"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("timedatectl did not start");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var output = await process.StandardOutput.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return output.Trim() switch
        {
            "yes" => new ClockStatus(true, "timedatectl"),
            "no" => new ClockStatus(false, "timedatectl"),
            var other => throw new InvalidOperationException($"unexpected timedatectl output '{other}'"),
        };
    }
}

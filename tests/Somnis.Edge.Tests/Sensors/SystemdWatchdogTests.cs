using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Edge.Sensors;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>The systemd watchdog: pings only while every bed makes progress, through the real notify socket.</summary>
public sealed class SystemdWatchdogTests
{
    [Fact]
    public void Watchdog_pings_only_while_every_bed_makes_progress()
    {
        var o = Options.Create(new EdgeOptions { Interval = TimeSpan.FromSeconds(10) });
        var edge = new EdgeService(o, new BedSourceFactory(o), new ClockQuality(o, TimeProvider.System, NullLogger<ClockQuality>.Instance), new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), TimeProvider.System, NullLogger<EdgeService>.Instance);
        var watchdog = new SystemdWatchdog(edge, o, TimeProvider.System);

        Assert.True(watchdog.Alive(TimeSpan.FromSeconds(10)));
        Assert.True(watchdog.Alive(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task Watchdog_sends_watchdog_pings_to_the_systemd_notify_socket()
    {
        var path = Path.Combine(Path.GetTempPath(), $"somnis-notify-{Guid.NewGuid():N}.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", path);
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "200000");
        try
        {
            var o = Options.Create(new EdgeOptions());
            var edge = new EdgeService(o, new BedSourceFactory(o), new ClockQuality(o, TimeProvider.System, NullLogger<ClockQuality>.Instance), new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), TimeProvider.System, NullLogger<EdgeService>.Instance);
            using var watchdog = new SystemdWatchdog(edge, o, TimeProvider.System, new Microsoft.Extensions.Hosting.Systemd.SystemdNotifier());
            await watchdog.StartAsync(CancellationToken.None);

            var buffer = new byte[64];
            // The first ping goes out as soon as the loop runs; on a busy machine with the suite's other tests beside it,
            // the thread it runs on can be a long time coming.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token);
            Assert.Equal("WATCHDOG=1", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            await watchdog.StopAsync(CancellationToken.None);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
            File.Delete(path);
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Alarms;
using Somnis.Hub.Health;

namespace Somnis.Hub.Tests.Health;

/// <summary>The hub's watchdog pings only while its alarm clock completes rounds; the clock and systemd's notify socket
/// are the seams (a fake clock, a recording notifier).</summary>
public sealed class SystemdWatchdogTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    /// <summary>An alarm clock of its own (not the hub's running one) on the fake clock: its rounds advance only when
    /// the test runs one.</summary>
    private AlarmClock Clock() => ActivatorUtilities.CreateInstance<AlarmClock>(_hub.Services, _time);

    private SystemdWatchdog Watchdog(AlarmClock clock, ISystemdNotifier? notifier = null) =>
        new(clock, _hub.Services.GetRequiredService<IOptions<AlarmOptions>>(), _time, notifier) { Period = TimeSpan.FromSeconds(15) };

    [Fact]
    public void Alive_while_the_alarm_clock_completes_rounds_and_not_once_it_stops()
    {
        var clock = Clock();
        var watchdog = Watchdog(clock);
        Assert.True(watchdog.Alive());

        // Past the start-up minute without a round: the alarm loop is stuck.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(watchdog.Alive());

        clock.RunOnce();
        Assert.True(watchdog.Alive());
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(watchdog.Alive());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(watchdog.Alive());
        clock.RunOnce();
        Assert.True(watchdog.Alive());
    }

    [Fact]
    public async Task Pings_systemd_at_half_the_watchdog_period_only_while_alive()
    {
        var clock = Clock();
        var notifier = new RecordingNotifier();
        var watchdog = Watchdog(clock, notifier);
        await watchdog.StartAsync(CancellationToken.None);
        try
        {
            await notifier.Next.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(["WATCHDOG=1"], notifier.States);

            // Two minutes without a round: the ticks find the hub stuck and send nothing.
            for (var i = 0; i < 8; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(15));
            }

            clock.RunOnce();
            var next = notifier.Next;
            _time.Advance(TimeSpan.FromSeconds(15));
            await next.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.InRange(notifier.States.Count, 2, 6);
        }
        finally
        {
            await watchdog.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Without_a_watchdog_it_sends_nothing()
    {
        var notifier = new RecordingNotifier();
        var watchdog = new SystemdWatchdog(Clock(), _hub.Services.GetRequiredService<IOptions<AlarmOptions>>(), _time, notifier) { Period = null };
        await watchdog.StartAsync(CancellationToken.None);
        await watchdog.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(notifier.States);
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> States { get; } = [];

        public bool IsEnabled => true;

        /// <summary>Completes at the next notification.</summary>
        public Task Next
        {
            get
            {
                lock (_lock)
                {
                    return _next.Task;
                }
            }
        }

        public void Notify(ServiceState state)
        {
            lock (_lock)
            {
                States.Add(state.ToString());
                _next.TrySetResult();
                _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}

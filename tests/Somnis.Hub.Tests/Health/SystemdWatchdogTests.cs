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
    public async Task Pings_systemd_at_half_the_watchdog_period_while_the_alarm_clock_completes_rounds()
    {
        var clock = Clock();
        var notifier = new RecordingNotifier();
        var watchdog = Watchdog(clock, notifier);
        await watchdog.StartAsync(CancellationToken.None);
        try
        {
            // The loop runs on a thread of its own (.NET 10 runs all of ExecuteAsync in the background), so its first ping
            // can come before the test asks for "the next" one: wait for a count of pings instead.
            await notifier.CountAsync(1);

            // One tick per period advanced (each waited for before the next), past the start-up minute: a ping each time.
            for (var n = 2; n <= 7; n++)
            {
                clock.RunOnce();
                _time.Advance(TimeSpan.FromSeconds(15));
                await notifier.CountAsync(n);
            }

            Assert.Equal(Enumerable.Repeat("WATCHDOG=1", 7), notifier.Snapshot());
        }
        finally
        {
            await watchdog.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void A_period_sends_nothing_while_the_alarm_clock_is_stuck()
    {
        var clock = Clock();
        var notifier = new RecordingNotifier();
        var watchdog = Watchdog(clock, notifier);

        watchdog.Beat();
        Assert.Single(notifier.Snapshot());

        // Two minutes without a round: the hub is stuck, the period sends nothing.
        _time.Advance(TimeSpan.FromMinutes(2));
        watchdog.Beat();
        Assert.Single(notifier.Snapshot());

        clock.RunOnce();
        watchdog.Beat();
        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1"], notifier.Snapshot());
    }

    [Fact]
    public async Task Without_a_watchdog_it_sends_nothing()
    {
        var notifier = new RecordingNotifier();
        var watchdog = new SystemdWatchdog(Clock(), _hub.Services.GetRequiredService<IOptions<AlarmOptions>>(), _time, notifier) { Period = null };
        await watchdog.StartAsync(CancellationToken.None);
        await watchdog.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(notifier.Snapshot());
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private readonly Lock _lock = new();
        private readonly List<string> _states = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

        public bool IsEnabled => true;

        public string[] Snapshot()
        {
            lock (_lock)
            {
                return [.. _states];
            }
        }

        /// <summary>Completes once <paramref name="count"/> notifications have been sent in all (at once if they have).</summary>
        public Task CountAsync(int count)
        {
            lock (_lock)
            {
                if (_states.Count >= count)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, done));
                return done.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
        }

        public void Notify(ServiceState state)
        {
            lock (_lock)
            {
                _states.Add(state.ToString());
                foreach (var waiter in _waiters.Where(w => w.Count <= _states.Count).ToList())
                {
                    waiter.Done.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }
    }
}

using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class DelayTimersTests
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private static readonly AlarmKey Arousal = new("nexus", "bed-01", AlarmTypes.SustainedArousal);
    private static readonly AlarmKey Fault = new("nexus", "bed-01", AlarmTypes.SensorFault);
    private static readonly AlarmKey Incident = new("nexus", "", AlarmTypes.FacilityIncident);
    private static readonly AlarmKey Offline = new("nexus", "bed-02", AlarmTypes.EdgeOffline);
    private readonly DelayTimers _timers = new();

    [Fact]
    public void An_on_delay_keeps_its_start_and_runs_out_after_the_delay()
    {
        var c = _timers.GetOrAdd(Arousal);
        _timers.StartOnDelay(Arousal, c, T0);
        _timers.StartOnDelay(Arousal, c, T0.AddMinutes(3));
        Assert.Equal(T0, c.PendingSince);
        Assert.False(c.OnDelayElapsed(T0.AddMinutes(5) - TimeSpan.FromTicks(1), TimeSpan.FromMinutes(5)));
        Assert.True(c.OnDelayElapsed(T0.AddMinutes(5), TimeSpan.FromMinutes(5)));
        Assert.False(c.OffDelayElapsed(T0.AddHours(1), TimeSpan.Zero));
    }

    [Fact]
    public void An_off_delay_replaces_the_on_delay_and_the_other_way_round()
    {
        var c = _timers.GetOrAdd(Arousal);
        _timers.StartOnDelay(Arousal, c, T0);
        _timers.StartOffDelay(Arousal, c, T0.AddMinutes(1));
        Assert.Equal((null, T0.AddMinutes(1)), (c.PendingSince, c.ClearSince));
        _timers.StartOnDelay(Arousal, c, T0.AddMinutes(2));
        Assert.Equal((T0.AddMinutes(2), null), (c.PendingSince, c.ClearSince));
        Assert.Single(_timers.Running("nexus", "bed-01"));
    }

    [Fact]
    public void The_index_holds_exactly_the_running_delays_of_each_bed_and_of_the_facility()
    {
        Assert.False(_timers.AnyRunning);
        Assert.Empty(_timers.Running("nexus", "bed-01"));
        foreach (var key in new[] { Arousal, Fault, Incident, Offline })
        {
            _timers.StartOnDelay(key, _timers.GetOrAdd(key), T0);
        }

        Assert.True(_timers.AnyRunning);
        Assert.Equal(Names(Arousal, Fault, Incident), Names([.. _timers.Running("nexus", "bed-01")]));
        Assert.Equal(Names(Offline, Incident), Names([.. _timers.Running("nexus", "bed-02")]));
        Assert.Equal([Incident], _timers.Running("nexus", "bed-03"));

        _timers.Stop(Fault, _timers.Find(Fault)!);
        _timers.Forget(Incident);
        Assert.Null(_timers.Find(Incident));
        Assert.Equal([Arousal], _timers.Running("nexus", "bed-01"));
        _timers.Forget(Arousal);
        _timers.Forget(Offline);
        Assert.False(_timers.AnyRunning);
        Assert.NotNull(_timers.Find(Fault));
    }

    [Fact]
    public void Stopping_or_forgetting_twice_does_not_unbalance_the_count()
    {
        var c = _timers.GetOrAdd(Arousal);
        _timers.StartOnDelay(Arousal, c, T0);
        _timers.Stop(Arousal, c);
        _timers.Stop(Arousal, c);
        _timers.Forget(Arousal);
        _timers.Forget(Arousal);
        _timers.StartOnDelay(Fault, _timers.GetOrAdd(Fault), T0);
        Assert.True(_timers.AnyRunning);
        _timers.Forget(Fault);
        Assert.False(_timers.AnyRunning);
    }

    [Fact]
    public void Hub_clock_conditions_are_listed_for_the_tick_whether_or_not_a_delay_runs()
    {
        _timers.GetOrAdd(Offline);
        _timers.StartOnDelay(Arousal, _timers.GetOrAdd(Arousal), T0);
        Assert.Equal([Offline], _timers.OnHubClock().Select(kv => kv.Key));
    }

    private static List<string> Names(params AlarmKey[] keys) => [.. keys.Select(k => $"{k.Bed}/{k.Type}").Order(StringComparer.Ordinal)];
}

using Microsoft.Extensions.Configuration;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmTimersTests
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly AlarmOptions _options = new();

    public AlarmTimersTests() => new AlarmOptionsSetup(new ConfigurationBuilder().Build()).Configure(_options);

    private static Alarm Active(string type = AlarmTypes.ArchitectDeprivation, string priority = AlarmPriorities.High) => new()
    {
        Id = "a1", Facility = "nexus", Bed = "bed-01", Type = type, Priority = priority, Class = "clinical", Latching = true, Active = true,
        RaisedAt = T0, RaisedEventTime = T0, AnnouncedAt = T0, LastEventTime = T0, Occurrences = 1, Summary = "held",
    };

    private DueTimer? At(Alarm a, TimeSpan after) => AlarmTimers.Due(a, T0 + after, _options);

    [Fact]
    public void Unacknowledged_high_priority_is_renotified_then_escalated_from_its_annunciation_once_each()
    {
        var a = Active();
        Assert.Null(At(a, TimeSpan.FromMinutes(2) - TimeSpan.FromTicks(1)));
        var renotify = At(a, TimeSpan.FromMinutes(2))!.Value;
        Assert.Equal((AlarmTimer.Renotify, 1, "re-notified"), (renotify.Timer, renotify.Next.Escalation, renotify.Action));

        // The step already taken is in the alarm (as a hub loading it from the store sees it): never notified twice.
        var renotified = renotify.Next;
        Assert.Null(At(renotified, TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1)));
        var escalate = At(renotified, TimeSpan.FromMinutes(5))!.Value;
        Assert.Equal((AlarmTimer.Escalate, 2, "escalated"), (escalate.Timer, escalate.Next.Escalation, escalate.Action));
        Assert.Null(At(escalate.Next, TimeSpan.FromHours(5)));
    }

    [Fact]
    public void A_hub_that_was_down_past_both_steps_takes_one_step_per_tick()
    {
        var first = At(Active(), TimeSpan.FromHours(1))!.Value;
        Assert.Equal(AlarmTimer.Renotify, first.Timer);
        Assert.Equal(AlarmTimer.Escalate, At(first.Next, TimeSpan.FromHours(1))!.Value.Timer);
    }

    [Fact]
    public void Only_high_priority_alarms_shown_on_their_own_and_unacknowledged_escalate()
    {
        var late = TimeSpan.FromHours(1);
        Assert.Null(At(Active(AlarmTypes.SustainedArousal, AlarmPriorities.Medium), late));
        Assert.Null(At(Active() with { ParentId = "incident" }, late));
        Assert.Null(At(Active() with { Suppressed = true }, late));
        Assert.Null(At(Active() with { Active = false }, late));
        Assert.Null(At(Active() with { Acknowledged = true, AckedAt = T0 + late }, late));
    }

    [Fact]
    public void An_acknowledged_alarm_still_active_re_alarms_after_its_type_s_re_alarm_time()
    {
        var acked = Active() with { Acknowledged = true, AckedAt = T0.AddMinutes(1) };
        Assert.Null(At(acked, TimeSpan.FromMinutes(31) - TimeSpan.FromTicks(1)));
        var due = At(acked, TimeSpan.FromMinutes(31))!.Value;
        Assert.Equal((AlarmTimer.ReAlarm, false, T0.AddMinutes(31), 0), (due.Timer, due.Next.Acknowledged, due.Next.AnnouncedAt, due.Next.Escalation));
        Assert.Equal("still active 00:30:00 after acknowledgement", due.Detail);

        // Types without a re-alarm time, and alarms no longer active, never re-alarm.
        Assert.Null(At(Active(AlarmTypes.SustainedArousal, AlarmPriorities.Medium) with { Acknowledged = true, AckedAt = T0 }, TimeSpan.FromDays(1)));
        Assert.Null(At(acked with { Active = false }, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void Shelving_runs_out_at_its_end_and_the_alarm_is_annunciated_again()
    {
        var shelved = Active() with { ShelvedUntil = T0.AddMinutes(30), ShelvedBy = "sam", ShelveReason = "checked", Escalation = 1 };
        Assert.Null(At(shelved, TimeSpan.FromMinutes(30) - TimeSpan.FromTicks(1)));
        var due = At(shelved, TimeSpan.FromMinutes(30))!.Value;
        Assert.Equal(AlarmTimer.ShelveExpired, due.Timer);
        Assert.Equal((null, null, null, T0.AddMinutes(30), 0), (due.Next.ShelvedUntil, due.Next.ShelvedBy, due.Next.ShelveReason, due.Next.AnnouncedAt, due.Next.Escalation));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, due.Next.State);
    }
}

namespace Somnis.Hub.Alarms;

/// <summary>A hub-time timer of an open alarm.</summary>
internal enum AlarmTimer
{
    /// <summary>The shelving ran out: annunciated again.</summary>
    ShelveExpired,

    /// <summary>Still active <see cref="AlarmTypeSettings.ReAlarm"/> after its acknowledgement: unacknowledged again.</summary>
    ReAlarm,

    /// <summary>High priority, unacknowledged for <see cref="AlarmOptions.RenotifyAfter"/>: notified again.</summary>
    Renotify,

    /// <summary>High priority, unacknowledged for <see cref="AlarmOptions.EscalateAfter"/>: escalated to supervisors.</summary>
    Escalate,
}

/// <summary>A timer that ran out: the alarm's next version and the audit action and detail that record it.</summary>
internal readonly record struct DueTimer(AlarmTimer Timer, Alarm Next, string Action, string? Detail);

/// <summary>
/// The hub-time timers of an open alarm (docs/alarms.md, "Escalation ladder"): shelve expiry, re-alarm after an
/// acknowledgement, re-notification and escalation of an unacknowledged high-priority alarm. They count from what the
/// alarm itself holds (<see cref="Alarm.ShelvedUntil"/>, <see cref="Alarm.AckedAt"/>, <see cref="Alarm.AnnouncedAt"/> and
/// the step already taken, <see cref="Alarm.Escalation"/>), so a hub that loads its alarms from the store carries them on
/// where they were, without notifying a step twice.
/// </summary>
internal static class AlarmTimers
{
    /// <summary>The timer of <paramref name="a"/> that has run out at <paramref name="now"/> (hub time), or null. At most one
    /// per call, in this order: shelve expiry, re-alarm, re-notification or escalation.</summary>
    public static DueTimer? Due(Alarm a, DateTimeOffset now, AlarmOptions o)
    {
        if (a.ShelvedUntil is { } until && now >= until)
        {
            return new(AlarmTimer.ShelveExpired, a with { ShelvedUntil = null, ShelvedBy = null, ShelveReason = null, AnnouncedAt = now, Escalation = 0 },
                "shelve-expired", null);
        }

        var reAlarm = o.For(a.Type).ReAlarm;
        if (a.Active && a.Acknowledged && reAlarm > TimeSpan.Zero && a.AckedAt is { } acked && now - acked >= reAlarm)
        {
            return new(AlarmTimer.ReAlarm, a with { Acknowledged = false, AnnouncedAt = now, Escalation = 0 },
                "re-alarm", $"still active {reAlarm:c} after acknowledgement");
        }

        if (!a.Sounding)
        {
            return null;
        }

        var unacknowledged = now - a.AnnouncedAt;
        return a.Escalation switch
        {
            0 when unacknowledged >= o.RenotifyAfter =>
                new(AlarmTimer.Renotify, a with { Escalation = 1 }, "re-notified", $"unacknowledged for {o.RenotifyAfter:c}"),
            1 when unacknowledged >= o.EscalateAfter =>
                new(AlarmTimer.Escalate, a with { Escalation = 2 }, "escalated", $"to supervisors: unacknowledged for {o.EscalateAfter:c}"),
            _ => null,
        };
    }
}

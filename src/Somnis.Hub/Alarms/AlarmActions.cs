using System.Globalization;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Alarms;

/// <summary>
/// What became of an operator action: done (the changed alarm), or refused with the reason, nothing changed and nothing
/// audited. Domain outcomes: <see cref="AlarmsApi"/> maps them to HTTP statuses.
/// </summary>
internal abstract record ActionOutcome
{
    private ActionOutcome()
    {
    }

    public sealed record Done(Alarm Alarm) : ActionOutcome;

    public abstract record Refused(string Reason) : ActionOutcome;

    /// <summary>No alarm has that id.</summary>
    public sealed record NotFound(string Reason) : Refused(Reason);

    /// <summary>The request itself is bad (missing reason, out of bounds, unknown user).</summary>
    public sealed record Invalid(string Reason) : Refused(Reason);

    /// <summary>The user's role may not do this to this alarm.</summary>
    public sealed record Forbidden(string Reason) : Refused(Reason);

    /// <summary>The alarm's state does not allow it (returned to normal, already acknowledged or shelved, not shelved).</summary>
    public sealed record Conflict(string Reason) : Refused(Reason);

    /// <summary>The store could not record the action.</summary>
    public sealed record StoreUnavailable(string Reason) : Refused(Reason);
}

/// <summary>An action's decision on an open alarm: a refusal, or the new versions it makes (the acted-on alarm's first).</summary>
internal readonly record struct ActionPlan(ActionOutcome.Refused? Refusal, IReadOnlyList<AlarmChange> Changes)
{
    public static ActionPlan Refuse(ActionOutcome.Refused refusal) => new(refusal, []);

    public static ActionPlan Change(IReadOnlyList<AlarmChange> changes) => new(null, changes);
}

/// <summary>
/// The operator actions on an open alarm (docs/alarms.md, "Operator actions"): acknowledge, shelve, unshelve, comment,
/// assign. Each checks its input, then decides on the alarm as the engine holds it under its lock
/// (<see cref="AlarmEngine.Act"/>), which stores the decision before it takes effect.
/// </summary>
internal sealed class AlarmActions(AlarmEngine engine, IOptionsMonitor<AlarmOptions> options)
{
    public const int MaxComment = 1000;
    public const int MaxReason = 500;

    /// <summary>Acknowledges; acknowledging a facility incident also acknowledges the alarms grouped under it.</summary>
    public ActionOutcome Acknowledge(string id, string user, string? comment)
    {
        if (comment is { Length: > MaxComment })
        {
            return new ActionOutcome.Invalid($"comment is longer than {MaxComment} characters");
        }

        return engine.Act(id, (a, open, now) =>
        {
            if (a.Acknowledged)
            {
                return ActionPlan.Refuse(new ActionOutcome.Conflict($"alarm {id} is already acknowledged (by {a.AckedBy})"));
            }

            var latency = (now - a.AnnouncedAt).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            var changes = new List<AlarmChange>
            {
                new(Acknowledged(a, user, comment, now), [AuditEntry.About(a, now, "acknowledged", user, comment is null ? $"after {latency} s" : $"after {latency} s: {comment}")]),
            };
            if (a.Type == AlarmTypes.FacilityIncident)
            {
                // The incident and what is grouped under it are shown and handled as one.
                changes.AddRange(open.Where(c => c.ParentId == a.Id && !c.Acknowledged)
                    .Select(child => new AlarmChange(Acknowledged(child, user, comment, now), [AuditEntry.About(child, now, "acknowledged", user, $"with incident {a.Id}")])));
            }

            return ActionPlan.Change(changes);
        });
    }

    /// <summary>Shelves for a bounded time with a reason; a high-priority alarm only by a supervisor.</summary>
    public ActionOutcome Shelve(string id, string user, bool supervisor, string? reason, TimeSpan? duration)
    {
        var max = options.CurrentValue.MaxShelve;
        if (string.IsNullOrWhiteSpace(reason))
        {
            return new ActionOutcome.Invalid("shelving needs a reason");
        }

        if (reason.Length > MaxReason)
        {
            return new ActionOutcome.Invalid($"reason is longer than {MaxReason} characters");
        }

        if (duration is not { } d || d <= TimeSpan.Zero || d > max)
        {
            return new ActionOutcome.Invalid($"shelving needs a duration between 1 min and the bound {max.TotalMinutes:0} min (Alarms:MaxShelve)");
        }

        return engine.Act(id, (a, _, now) =>
            a.ShelvingNeedsSupervisor && !supervisor ? ActionPlan.Refuse(new ActionOutcome.Forbidden("only a supervisor may shelve a high-priority alarm"))
            : a.ShelvedUntil is not null ? ActionPlan.Refuse(new ActionOutcome.Conflict($"alarm {id} is already shelved until {a.ShelvedUntil:o}"))
            : One(a with { ShelvedUntil = now + d, ShelvedBy = user, ShelveReason = reason, Escalation = 0 },
                AuditEntry.About(a, now, "shelved", user, $"for {d.TotalMinutes:0} min: {reason}")));
    }

    /// <summary>Ends a shelving before its time (annunciated again); a high-priority alarm only by a supervisor.</summary>
    public ActionOutcome Unshelve(string id, string user, bool supervisor) => engine.Act(id, (a, _, now) =>
        a.ShelvedUntil is null ? ActionPlan.Refuse(new ActionOutcome.Conflict($"alarm {id} is not shelved"))
        : a.ShelvingNeedsSupervisor && !supervisor ? ActionPlan.Refuse(new ActionOutcome.Forbidden("only a supervisor may unshelve a high-priority alarm"))
        : One(a with { ShelvedUntil = null, ShelvedBy = null, ShelveReason = null, AnnouncedAt = now, Escalation = 0 },
            AuditEntry.About(a, now, "unshelved", user, null)));

    /// <summary>Adds a comment to the audit trail (the alarm itself is unchanged, and pushed again).</summary>
    public ActionOutcome Comment(string id, string user, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxComment)
        {
            return new ActionOutcome.Invalid($"a comment needs 1–{MaxComment} characters of text");
        }

        return engine.Act(id, (a, _, now) => One(a, AuditEntry.About(a, now, "commented", user, text)));
    }

    /// <summary>Assigns to a user of this hub (<paramref name="knownUser"/> decides who is one).</summary>
    public ActionOutcome Assign(string id, string user, string? to, Func<string, bool> knownUser)
    {
        if (string.IsNullOrWhiteSpace(to) || !knownUser(to))
        {
            return new ActionOutcome.Invalid($"'{to}' is not a user of this hub");
        }

        return engine.Act(id, (a, _, now) => One(a with { AssignedTo = to }, AuditEntry.About(a, now, "assigned", user, $"to {to}")));
    }

    private static Alarm Acknowledged(Alarm a, string user, string? comment, DateTimeOffset now) =>
        a with { Acknowledged = true, AckedBy = user, AckedAt = now, AckComment = comment, Escalation = 0, Closed = !a.Active };

    private static ActionPlan One(Alarm next, AuditEntry audit) => ActionPlan.Change([new AlarmChange(next, [audit])]);
}

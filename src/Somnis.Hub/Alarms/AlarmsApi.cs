using System.Diagnostics;
using System.Security.Claims;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Alarms;

/// <summary>Body of <c>POST /api/alarms/{id}/ack</c>.</summary>
public sealed record AckRequest(string? Comment);

/// <summary>Body of <c>POST /api/alarms/{id}/shelve</c>: a reason and a duration in minutes (1 to <c>Alarms:MaxShelve</c>).</summary>
public sealed record ShelveRequest(string? Reason, double? Minutes);

/// <summary>Body of <c>POST /api/alarms/{id}/comment</c>.</summary>
public sealed record CommentRequest(string? Text);

/// <summary>Body of <c>POST /api/alarms/{id}/assign</c>: a user name of this hub.</summary>
public sealed record AssignRequest(string? To);

/// <summary>Body of <c>POST /api/beds/{id}/architect/pause|resume</c>.</summary>
public sealed record ArchitectRequest(string? Reason);

/// <summary>The alarm API (docs/alarms.md, "API"). Every endpoint needs a signed-in user; acting on a high-priority shelve
/// and the Architect commands need a supervisor. Bad input gets a 4xx ProblemDetails and changes nothing: operator actions
/// answer in domain outcomes (<see cref="ActionOutcome"/>), mapped to HTTP here.</summary>
internal static class AlarmsApi
{
    private const int MaxLimit = 1000;

    public static void MapAlarmsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Alarms").RequireAuthorization(AuthExtensions.TechnicianPolicy);
        api.MapGet("/alarms", (string? state, string? type, string? bed, string? priority, string? facility, int? limit, AlarmEngine engine) =>
            {
                if (state is not null && state != "open" && !AlarmStates.All.Contains(state))
                {
                    return Problem(400, $"unknown state '{state}' (states: open, {string.Join(", ", AlarmStates.All)})");
                }

                if (type is not null && !AlarmTypes.All.Contains(type))
                {
                    return Problem(400, $"unknown type '{type}' (types: {string.Join(", ", AlarmTypes.All)})");
                }

                if (priority is not null && !AlarmPriorities.All.Contains(priority))
                {
                    return Problem(400, $"unknown priority '{priority}' (high, medium, low)");
                }

                if (limit is < 1 or > MaxLimit)
                {
                    return Problem(400, $"limit must be between 1 and {MaxLimit}");
                }

                var filter = new AlarmFilter(facility, bed, type, priority, state == "open" ? null : state, limit ?? 500);
                return FromStore(() =>
                {
                    var alarms = engine.Query(filter);
                    return Results.Ok(state == "open" ? [.. alarms.Where(a => !a.Closed)] : alarms);
                });
            })
            .WithSummary("Alarms, newest first. Filters: state (open or an ISA-18.2 state), type, bed, priority, facility, limit.");
        api.MapGet("/alarms/{id}", (string id, AlarmEngine engine) =>
                FromStore(() => engine.Find(id) is { } a ? Results.Ok(a) : Problem(404, $"no alarm '{id}'")))
            .WithSummary("One alarm.");
        api.MapPost("/alarms/{id}/ack", (string id, AckRequest? body, ClaimsPrincipal user, AlarmActions actions) =>
                Result(actions.Acknowledge(id, Name(user), body?.Comment)))
            .WithSummary("Acknowledge (optional comment). Acknowledging a facility incident acknowledges the alarms grouped under it.");
        api.MapPost("/alarms/{id}/shelve", (string id, ShelveRequest? body, ClaimsPrincipal user, AlarmActions actions) =>
                Result(actions.Shelve(id, Name(user), IsSupervisor(user), body?.Reason,
                    body?.Minutes is { } m && double.IsFinite(m) && m is > 0 and < 100_000 ? TimeSpan.FromMinutes(m) : null)))
            .WithSummary("Shelve for a bounded time with a reason (high priority: supervisors only).");
        api.MapPost("/alarms/{id}/unshelve", (string id, ClaimsPrincipal user, AlarmActions actions) =>
                Result(actions.Unshelve(id, Name(user), IsSupervisor(user))))
            .WithSummary("Unshelve (high priority: supervisors only).");
        api.MapPost("/alarms/{id}/comment", (string id, CommentRequest? body, ClaimsPrincipal user, AlarmActions actions) =>
                Result(actions.Comment(id, Name(user), body?.Text)))
            .WithSummary("Add a comment (audit trail).");
        api.MapPost("/alarms/{id}/assign", (string id, AssignRequest? body, ClaimsPrincipal user, AlarmActions actions, UserAccounts users) =>
                Result(actions.Assign(id, Name(user), body?.To, users.Exists)))
            .WithSummary("Assign to a user of this hub.");
        api.MapGet("/alarms/kpis", (string? facility, AlarmEngine engine, AlarmWebhook webhook) =>
            {
                var facilities = engine.Query(new AlarmFilter(null, null, null, null, null, MaxLimit)).Select(a => a.Facility).Distinct().ToList();
                var chosen = facility is null ? facilities : [facility];
                return Results.Ok(chosen.Select(f => Kpis(f, engine, webhook)).ToList());
            })
            .WithSummary("Alarm KPIs per facility: rate per 10 min, peak, time in flood, bad actors, acknowledgement latency, shelved count.");
        api.MapGet("/audit", (string? facility, string? bed, string? alarm, DateTimeOffset? from, DateTimeOffset? to, int? limit, AlarmEngine engine) =>
                limit is < 1 or > 10_000
                    ? Problem(400, "limit must be between 1 and 10000")
                    : Results.Ok(engine.QueryAudit(new AuditFilter(facility, bed, alarm, from, to, limit ?? 1000))))
            .WithSummary("The audit trail (append-only), oldest first: every action and state change. Filters: facility, bed, alarm, from, to (hub time), limit.");

        api.MapGet("/beds/{id}/architect", (string id, string? facility, ArchitectInterlock interlock) =>
                FromStore(() => interlock.View(id, facility) is { } v ? Results.Ok(v) : Problem(404, $"no bed '{id}'")))
            .WithSummary("Architect interlock of a bed: requested (by the hub) and confirmed (by the edge).");
        api.MapPost("/beds/{id}/architect/pause", (string id, string? facility, ArchitectRequest? body, ClaimsPrincipal user, ArchitectInterlock interlock) =>
                Command(interlock.Request(id, facility, engage: true, Name(user), body?.Reason)))
            .RequireAuthorization(AuthExtensions.SupervisorPolicy)
            .WithSummary("Supervisors: pause the bed's Dream Architect (engage the interlock). 202: sent; confirmation follows from the edge.");
        api.MapPost("/beds/{id}/architect/resume", (string id, string? facility, ArchitectRequest? body, ClaimsPrincipal user, ArchitectInterlock interlock) =>
                Command(interlock.Request(id, facility, engage: false, Name(user), body?.Reason)))
            .RequireAuthorization(AuthExtensions.SupervisorPolicy)
            .WithSummary("Supervisors: resume the bed's Dream Architect (release the interlock).");
    }

    internal static AlarmKpis Kpis(string facility, AlarmEngine engine, AlarmWebhook webhook)
    {
        var alarms = engine.Query(new AlarmFilter(facility, null, null, null, null, 100_000));
        var audit = engine.QueryAudit(new AuditFilter(facility, null, null, null, null, 1_000_000));
        var now = engine.EventClock(facility, null) ?? audit.LastOrDefault()?.EventTime ?? DateTimeOffset.UnixEpoch;
        return AlarmKpiCalculator.Compute(facility, alarms, audit, now, webhook.DeadLetters, engine.LateIgnored);
    }

    private static IResult Result(ActionOutcome outcome) => outcome switch
    {
        ActionOutcome.Done done => Results.Ok(done.Alarm),
        ActionOutcome.Refused refused => Problem(StatusOf(refused), refused.Reason),
        _ => throw new UnreachableException(),
    };

    /// <summary>The HTTP status of a refused operator action (docs/alarms.md, "API").</summary>
    internal static int StatusOf(ActionOutcome.Refused refused) => refused switch
    {
        ActionOutcome.NotFound => StatusCodes.Status404NotFound,
        ActionOutcome.Invalid => StatusCodes.Status400BadRequest,
        ActionOutcome.Forbidden => StatusCodes.Status403Forbidden,
        ActionOutcome.Conflict => StatusCodes.Status409Conflict,
        ActionOutcome.StoreUnavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new UnreachableException(),
    };

    private static IResult Command((InterlockView? View, int Status, string? Error) r) =>
        r.View is { } v ? Results.Accepted($"/api/beds/{v.Bed}/architect", v) : Problem(r.Status, r.Error!);

    /// <summary>A read that needs the store (closed alarms; on a standby every alarm): 503 naming the reason while it cannot
    /// be read, instead of a 500.</summary>
    private static IResult FromStore(Func<IResult> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, $"the alarm store cannot be read: {ex.Message}");
        }
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static string Name(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    private static bool IsSupervisor(ClaimsPrincipal user) => user.IsInRole(Roles.Supervisor);
}

using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Somnis.Hub.Auth;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

namespace Somnis.Hub.Sleepers;

/// <summary>
/// Sleepers, their programs and admissions (docs/protocol.md, "Sleepers"). Every route needs a signed-in user; creating
/// sleepers and changing programs need a supervisor; admitting, transferring and discharging are bedside work for
/// technicians too. Bad input gets a 4xx ProblemDetails naming the problem and changes nothing.
/// </summary>
internal static class SleepersApi
{
    /// <summary>Call after <c>AddStorage()</c> (which registers the <see cref="ISleeperStore"/> of the configured store).</summary>
    public static IHostApplicationBuilder AddSleepers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SleeperService>();
        builder.Services.AddSingleton<SleeperLedger>();
        // The JSON of sleepers, nights of record and the study (their own context, after the hub's).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(SleepersJsonContext.Default));
        return builder;
    }

    public static void MapSleepersApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Sleepers").RequireAuthorization(AuthExtensions.TechnicianPolicy);
        api.MapGet("/sleepers", (SleeperService sleepers) => TypedResults.Ok(sleepers.List()))
            .WithSummary("Every sleeper: program tonight, program history, current admission.");
        api.MapPost("/sleepers", (CreateSleeperRequest? body, ClaimsPrincipal user, SleeperService sleepers) =>
            {
                if (!user.IsInRole(Roles.Supervisor))
                {
                    return Problem(new Refusal(StatusCodes.Status403Forbidden, "creating sleepers needs a supervisor"));
                }

                var outcome = sleepers.Create(body, Name(user));
                return outcome.Value is { } created ? Results.Created($"/api/sleepers/{created.Id}", created) : Problem(outcome.Refused!);
            })
            .WithSummary("Supervisors: create a sleeper { name, program, id?, notes?, programFrom? }.");
        api.MapGet("/sleepers/{id}", (string id, SleeperService sleepers) => Result(sleepers.Get(id)))
            .WithSummary("One sleeper with program history, admissions and sleep debt from their stored nights.");
        api.MapPost("/sleepers/{id}/program", (string id, ProgramChangeRequest? body, ClaimsPrincipal user, SleeperService sleepers) =>
                !user.IsInRole(Roles.Supervisor)
                    ? Problem(new Refusal(StatusCodes.Status403Forbidden, "changing a program needs a supervisor"))
                    : Result(sleepers.ChangeProgram(id, body, Name(user))))
            .WithSummary("Supervisors: the sleeper's program changes on a date { program, from } (history kept).");
        api.MapPost("/beds/{id}/admit", (string id, string? facility, AdmitRequest? body, ClaimsPrincipal user, SleeperService sleepers) =>
                Result(sleepers.Admit(id, facility, body, Name(user))))
            .WithSummary("Admit a sleeper to the bed { sleeper, from?, transfer? }; with transfer: true a sleeper admitted elsewhere moves here.");
        api.MapPost("/beds/{id}/discharge", (string id, string? facility, DischargeRequest? body, ClaimsPrincipal user, SleeperService sleepers) =>
                Result(sleepers.Discharge(id, facility, body, Name(user))))
            .WithSummary("Discharge the sleeper admitted to the bed { to? }.");
    }

    internal static IResult Result<T>(Outcome<T> outcome) => outcome.Refused is { } refused ? Problem(refused) : Results.Ok(outcome.Value);

    internal static IResult Problem(Refusal refused) => Results.Problem(detail: refused.Problem, statusCode: refused.Status);

    private static string Name(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";
}

/// <summary>Source-generated JSON of sleepers, nights of record and the study (camelCase, as the hub's own context).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SleeperView))]
[JsonSerializable(typeof(IReadOnlyList<SleeperView>))]
[JsonSerializable(typeof(Admission))]
[JsonSerializable(typeof(CreateSleeperRequest))]
[JsonSerializable(typeof(ProgramChangeRequest))]
[JsonSerializable(typeof(AdmitRequest))]
[JsonSerializable(typeof(DischargeRequest))]
[JsonSerializable(typeof(IReadOnlyList<NightAssessment>))]
[JsonSerializable(typeof(List<StoredNightView>))]
[JsonSerializable(typeof(StoredNightDetail))]
[JsonSerializable(typeof(StudyResponse))]
internal sealed partial class SleepersJsonContext : JsonSerializerContext;

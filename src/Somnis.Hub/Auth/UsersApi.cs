using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.Cookies;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Auth;

/// <summary>
/// Users a supervisor manages (docs/protocol.md, "Users"): list, add, remove, change a role; and every signed-in user
/// changes their own password. The page is <c>/users.html</c>. Bad input gets a 4xx ProblemDetails naming the problem and
/// changes nothing; a technician calling a supervisor's route gets 403.
/// </summary>
internal static class UsersApi
{
    /// <summary>Call after <c>AddStorage()</c> (the embedded store implements <see cref="IUserStore"/>, and its schema is
    /// current before the users are read); the sign-in of <c>AddSomnisAuth()</c> checks passwords through these.</summary>
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        AddUserAccounts(builder.Services);
        // Registration order is start order: the store is migrated (AddStorage) before the users are seeded and read.
        builder.Services.AddHostedService<UsersStartup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UserSessions>());
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(UsersJsonContext.Default));
        return builder;
    }

    /// <summary>The users and their sessions over the store: the hub's, and the <c>users</c> command's.</summary>
    internal static IServiceCollection AddUserAccounts(IServiceCollection services)
    {
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<SomnisStore>());
        services.AddSingleton<UserSessions>();
        services.AddSingleton<UserAccounts>();
        return services;
    }

    public static void MapUsersApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(AuthExtensions.TechnicianPolicy);
        api.MapGet("", (ClaimsPrincipal user, UserAccounts accounts) => NotSupervisor(user) ?? Results.Ok(accounts.List()))
            .WithSummary("Supervisors: every user { name, role, createdAt, createdBy }, by name.");
        api.MapPost("", (AddUserRequest? body, ClaimsPrincipal user, UserAccounts accounts) =>
            {
                if (NotSupervisor(user) is { } forbidden)
                {
                    return forbidden;
                }

                var outcome = accounts.Add(body?.Name, body?.Role, body?.Password, Name(user));
                return outcome.Value is { } added
                    ? Results.Created($"/api/users/{Uri.EscapeDataString(added.Name)}", added)
                    : SleepersApi.Problem(outcome.Refused!);
            })
            .WithSummary($"Supervisors: add a user {{ name, role, password }} (password at least {Passwords.MinLength} characters). 409 when the name is taken.");
        api.MapDelete("/{name}", (string name, ClaimsPrincipal user, UserAccounts accounts) =>
                NotSupervisor(user) ?? (accounts.Remove(name, Name(user)) is { } refused ? SleepersApi.Problem(refused) : Results.NoContent()))
            .WithSummary("Supervisors: remove a user; their sessions end at once. 409 for the last supervisor.");
        api.MapPut("/{name}/role", (string name, RoleRequest? body, ClaimsPrincipal user, UserAccounts accounts) =>
                NotSupervisor(user) ?? SleepersApi.Result(accounts.SetRole(name, body?.Role, Name(user))))
            .WithSummary("Supervisors: change a user's role { role }; their sessions end at once. 409 when it would demote the last supervisor.");
        api.MapPost("/me/password", async (PasswordChangeRequest? body, HttpContext ctx, SignInGuard guard, UserAccounts accounts) =>
            {
                var name = Name(ctx.User);
                if (body is not { Current: { } current, New: { } password })
                {
                    return SleepersApi.Problem(new Refusal(StatusCodes.Status400BadRequest, "a body { \"current\": \"…\", \"new\": \"…\" } is required"));
                }

                // Through the sign-in guard: guessing the current password here counts towards the same lockout.
                var attempt = guard.Attempt(name, current, ctx.Connection.RemoteIpAddress, "password-change");
                if (attempt.RetryAfter is { } wait)
                {
                    return AuthExtensions.TooMany(ctx, wait, "Too many failed password checks.");
                }

                if (attempt.Role is null)
                {
                    return SleepersApi.Problem(new Refusal(StatusCodes.Status403Forbidden, "the current password is wrong: nothing was changed"));
                }

                if (password == current)
                {
                    return SleepersApi.Problem(new Refusal(StatusCodes.Status400BadRequest, "the new password is the current one"));
                }

                var outcome = accounts.SetPassword(name, password, name);
                if (outcome.Value is not { } changed)
                {
                    return SleepersApi.Problem(outcome.Refused!);
                }

                // Every session of the user ended with the old stamp; this browser goes on with a new one.
                if (ctx.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme)
                {
                    await AuthExtensions.SignInCookieAsync(ctx, changed.Name, changed.Role, changed.Stamp);
                }

                return Results.NoContent();
            })
            .RequireRateLimiting(AuthExtensions.SignInLimit)
            .WithSummary("Change your own password { current, new }: every other session of yours ends. 403 when the current password is wrong.");
    }

    private static IResult? NotSupervisor(ClaimsPrincipal user) => user.IsInRole(Roles.Supervisor)
        ? null
        : SleepersApi.Problem(new Refusal(StatusCodes.Status403Forbidden, "managing users needs a supervisor"));

    private static string Name(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";
}

/// <summary>Copies <c>Auth:Users</c> into a store without users and reads the users, before the hub serves.</summary>
internal sealed class UsersStartup(UserAccounts accounts, UserSessions sessions) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        accounts.SeedFromConfiguration();
        sessions.Refresh();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed record AddUserRequest(string? Name, string? Role, string? Password);

public sealed record RoleRequest(string? Role);

public sealed record PasswordChangeRequest(string? Current, string? New);

/// <summary>Source-generated JSON of the users API (camelCase, as the hub's own context).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(IReadOnlyList<UserView>))]
[JsonSerializable(typeof(AddUserRequest))]
[JsonSerializable(typeof(RoleRequest))]
[JsonSerializable(typeof(PasswordChangeRequest))]
internal sealed partial class UsersJsonContext : JsonSerializerContext;

using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Auth;

/// <summary>What a successful password check found: the user's role and security stamp now.</summary>
internal sealed record VerifiedUser(string Name, string Role, string Stamp);

/// <summary>A user as the API and the command line show them (no hash, no stamp).</summary>
public sealed record UserView(string Name, string Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>The rule for user names: 1–64 ASCII letters, digits, '.', '_', '-' or '@', starting with a letter or digit
/// (no ':', which HTTP Basic cannot carry; no spaces; the same under every store's idea of case).</summary>
internal static class UserNames
{
    public const int MaxLength = 64;

    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a user name is required";
        }

        var shown = name.Length > MaxLength ? name[..MaxLength] + "…" : name;
        return name.Length <= MaxLength && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@')
            ? null
            : $"'{shown}' is not a valid user name: 1-{MaxLength} letters (a-z, A-Z), digits, '.', '_', '-' or '@', starting with a letter or digit";
    }
}

/// <summary>
/// The users who may sign in (docs/operations.md, "Users"): checks passwords for every sign-in (through
/// <see cref="SignInGuard"/>), and adds, removes, changes the role or password of users for the API and the
/// <c>users</c> command. Every change is checked here, stored with its audit entry (<c>user-add</c>, <c>user-remove</c>,
/// <c>user-role</c>, <c>user-password</c>; never a password or hash) and ends the user's sessions when it should
/// (<see cref="UserSessions"/>). A refused change changes nothing.
/// </summary>
internal sealed class UserAccounts
{
    /// <summary>Actor of the users copied from <c>Auth:Users</c>.</summary>
    public const string Configuration = "configuration";

    /// <summary>The facility of audit entries that concern no facility (as sleepers' entries).</summary>
    private const string AnyFacility = SleeperService.AnyFacility;

    // PBKDF2 is slow on purpose; API clients send Basic credentials with every request, so a successful check is
    // remembered for a few minutes, keyed by a SHA-256 of the name, password and stored hash (never the password itself).
    // A changed password changes the stored hash, so an old password never matches a remembered check.
    private static readonly TimeSpan VerifiedFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new();

    // Each user as the store last returned them at a sign-in: checked against while the store cannot be read (a shared
    // PostgreSQL outage), so API clients on HTTP Basic keep working like cookie sessions do instead of getting 500.
    private readonly ConcurrentDictionary<string, StoredUser> _lastKnown = new(StringComparer.Ordinal);
    private int _checkingLastKnown;
    private readonly IUserStore _store;
    private readonly UserSessions _sessions;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UserAccounts> _logger;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _refused;

    public UserAccounts(IUserStore store, UserSessions sessions, IOptions<AuthOptions> options, TimeProvider time, IMeterFactory meters, ILogger<UserAccounts> logger)
    {
        _store = store;
        _sessions = sessions;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var meter = meters.Create(HubMetrics.MeterName);
        _changes = meter.CreateCounter<long>("somnis.users.changes", "{change}", "User changes stored, by action (user-add, user-remove, user-role, user-password)");
        _refused = meter.CreateCounter<long>("somnis.users.refused", "{change}", "User changes refused, by HTTP status (400 bad input, 403, 404, 409 taken or last supervisor, 503 store)");
    }

    /// <summary>The user with this name and password, as the store holds them now; null when either is wrong. A hash
    /// of an older format is replaced by the current one here, at the first successful check.</summary>
    public VerifiedUser? Verify(string name, string password)
    {
        if (password.Length > Passwords.MaxLength || Find(name) is not { } user)
        {
            return null;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\0{password}\0{user.PasswordHash}")));
        var now = _time.GetUtcNow();
        if (_verified.TryGetValue(key, out var until) && until > now)
        {
            return new VerifiedUser(user.Name, user.Role, user.Stamp);
        }

        var check = Passwords.Verify(password, user.PasswordHash);
        if (check == PasswordCheck.Wrong)
        {
            return null;
        }

        if (check == PasswordCheck.RightButOutdated && Rehash(user, password) is { } rehashed)
        {
            key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\0{password}\0{rehashed}")));
        }

        if (_verified.Count > 10_000)
        {
            _verified.Clear();
        }

        _verified[key] = now + VerifiedFor;
        return new VerifiedUser(user.Name, user.Role, user.Stamp);
    }

    /// <summary>The user as the store holds them; while the store cannot be read, as it last returned them (a user never
    /// seen since start is then unknown: the sign-in fails as the store's error).</summary>
    private StoredUser? Find(string name)
    {
        try
        {
            var user = _store.FindUser(name);
            Volatile.Write(ref _checkingLastKnown, 0);
            if (user is null)
            {
                _lastKnown.TryRemove(name, out _);
            }
            else if (_lastKnown.Count < 10_000 || _lastKnown.ContainsKey(name))
            {
                _lastKnown[name] = user;
            }

            return user;
        }
        catch (DbException ex) when (_lastKnown.TryGetValue(name, out var known))
        {
            // Logged once per outage, not once per request.
            if (Interlocked.Exchange(ref _checkingLastKnown, 1) == 0)
            {
                Log.UserStoreFailed(_logger, ex);
            }

            return known;
        }
    }

    public IReadOnlyList<UserView> List() => [.. _store.Users().Select(View)];

    public bool Exists(string name) => _store.FindUser(name) is not null;

    public Outcome<UserView> Add(string? name, string? role, string? password, string actor)
    {
        if ((UserNames.Problem(name) ?? RoleProblem(role) ?? Passwords.Problem(password)) is { } problem)
        {
            return Refuse(actor, StatusCodes.Status400BadRequest, problem);
        }

        var user = new StoredUser(name!, role!, Passwords.Hash(password!), NewStamp(), _time.GetUtcNow(), actor);
        if (!Store(actor, () => _store.AddUser(user, Audit("user-add", actor, $"user {name}, role {role}")), out var failed, out var added))
        {
            return failed!;
        }

        if (!added)
        {
            return Refuse(actor, StatusCodes.Status409Conflict, $"the user name '{name}' is taken");
        }

        Changed("user-add");
        Log.UserAdded(_logger, name!, role!, actor);
        return View(user);
    }

    public Refusal? Remove(string name, string actor)
    {
        if (!Store(actor, () => _store.RemoveUser(name, Audit("user-remove", actor, $"user {name}")), out var failed, out var write))
        {
            return failed;
        }

        if (Problem(write, name, "removed", actor) is { } refused)
        {
            return refused;
        }

        Changed("user-remove");
        Log.UserRemoved(_logger, name, actor);
        return null;
    }

    public Outcome<UserView> SetRole(string name, string? role, string actor)
    {
        if (RoleProblem(role) is { } problem)
        {
            return Refuse(actor, StatusCodes.Status400BadRequest, problem);
        }

        if (_store.FindUser(name) is not { } user)
        {
            return Refuse(actor, StatusCodes.Status404NotFound, $"no user '{name}'");
        }

        if (user.Role == role)
        {
            // Nothing to change: no audit entry, and the user's sessions go on.
            return View(user);
        }

        if (!Store(actor, () => _store.SetRole(name, role!, NewStamp(), Audit("user-role", actor, $"user {name}: {user.Role} -> {role}")), out var failed, out var write))
        {
            return failed!;
        }

        if (Problem(write, name, "demoted", actor) is { } refused)
        {
            return refused;
        }

        Changed("user-role");
        Log.UserRoleChanged(_logger, name, role!, actor);
        return View(user with { Role = role! });
    }

    /// <summary>Sets a user's password (their own change, once the current one is checked; or the <c>users</c> command).
    /// Every session of the user ends; the caller signs the current browser in again with the returned stamp.</summary>
    public Outcome<VerifiedUser> SetPassword(string name, string? password, string actor)
    {
        if (Passwords.Problem(password) is { } problem)
        {
            return Refuse(actor, StatusCodes.Status400BadRequest, problem);
        }

        var stamp = NewStamp();
        var detail = actor == name ? $"user {name} changed their own password" : $"password of user {name} set";
        if (!Store(actor, () => _store.SetPassword(name, Passwords.Hash(password!), stamp, Audit("user-password", actor, detail)), out var failed, out var set))
        {
            return failed!;
        }

        if (!set || _store.FindUser(name) is not { } user)
        {
            return Refuse(actor, StatusCodes.Status404NotFound, $"no user '{name}'");
        }

        Changed("user-password");
        Log.UserPasswordChanged(_logger, name, actor);
        return new VerifiedUser(user.Name, user.Role, stamp);
    }

    /// <summary>
    /// Copies <c>Auth:Users</c> into the store if it has no users (the first start; also after every user was removed
    /// with the command line). Once the store has users, <c>Auth:Users</c> is not read: each configured user the store does
    /// not have, or has with another role, is named in a warning, and the store is used.
    /// </summary>
    public void SeedFromConfiguration()
    {
        var now = _time.GetUtcNow();
        var configured = _options.Users;
        var users = configured.Select(u => new StoredUser(u.Name, u.Role, u.PasswordHash, NewStamp(), now, Configuration)).ToList();
        var seeded = users.Count == 0 ? 0 : _store.SeedUsers(users, [.. users.Select(u => Audit("user-add", Configuration, $"user {u.Name}, role {u.Role}, from Auth:Users"))]);
        if (seeded > 0)
        {
            Log.UsersSeeded(_logger, seeded);
            return;
        }

        var stored = _store.Users().ToDictionary(u => u.Name, StringComparer.Ordinal);
        foreach (var u in configured)
        {
            var found = stored.GetValueOrDefault(u.Name);
            if (found?.Role != u.Role)
            {
                Log.ConfiguredUserDiffers(_logger, u.Name, u.Role, found is null ? "no such user" : found.Role);
            }
        }

        if (stored.Count == 0)
        {
            Log.NoUsers(_logger);
        }
    }

    /// <summary>Stores the current format's hash of a password that matched an outdated one; the new hash, or null when
    /// the store did not take it (the password changed meanwhile, or the store fails: the next sign-in tries again).</summary>
    private string? Rehash(StoredUser user, string password)
    {
        var rehashed = Passwords.Hash(password);
        try
        {
            if (!_store.ReplaceHash(user.Name, user.PasswordHash, rehashed))
            {
                return null;
            }
        }
        catch (DbException ex)
        {
            // By design: the sign-in itself succeeded; only the upgrade of the hash waits for the next one.
            Log.UserStoreFailed(_logger, ex);
            return null;
        }

        Log.PasswordRehashed(_logger, user.Name);
        return rehashed;
    }

    private static string? RoleProblem(string? role) =>
        Roles.IsKnown(role) ? null : $"role must be '{Roles.Technician}' or '{Roles.Supervisor}'{(role is null ? "" : $" (got '{role}')")}";

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static UserView View(StoredUser u) => new(u.Name, u.Role, u.CreatedAt, u.CreatedBy);

    private AuditEntry Audit(string action, string actor, string detail) =>
        new(0, _time.GetUtcNow(), null, AnyFacility, null, null, action, actor, detail);

    private Refusal? Problem(UserWrite write, string name, string verb, string actor) => write switch
    {
        UserWrite.NotFound => Refuse(actor, StatusCodes.Status404NotFound, $"no user '{name}'"),
        UserWrite.LastSupervisor => Refuse(actor, StatusCodes.Status409Conflict,
            $"'{name}' is the last supervisor and cannot be {verb}: make another user supervisor first"),
        _ => null,
    };

    private Refusal Refuse(string actor, int status, string problem)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("status", status));
        Log.UserChangeRefused(_logger, actor, status, problem);
        return new Refusal(status, problem);
    }

    /// <summary>Counts a stored change and re-reads the users, which ends the sessions it should.</summary>
    private void Changed(string action)
    {
        _changes.Add(1, new KeyValuePair<string, object?>("action", action));
        try
        {
            _sessions.Refresh();
        }
        catch (DbException ex)
        {
            // By design: the change is stored; the sessions' own periodic read ends the sessions it should.
            Log.UsersRefreshFailed(_logger, ex);
        }
    }

    private bool Store<T>(string actor, Func<T> write, out Refusal? failed, out T result)
    {
        try
        {
            result = write();
            failed = null;
            return true;
        }
        catch (DbException ex)
        {
            // Nothing changed (one transaction).
            Log.UserStoreFailed(_logger, ex);
            result = default!;
            failed = Refuse(actor, StatusCodes.Status503ServiceUnavailable, $"the store cannot be written ({ex.Message}): nothing was changed");
            return false;
        }
    }
}

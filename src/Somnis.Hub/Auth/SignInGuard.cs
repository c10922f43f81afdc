using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Auth;

/// <summary>Limits on guessing passwords (section <c>Auth:SignIn</c>, docs/operations.md "Sign-in protection").</summary>
public sealed class SignInOptions : ISettingsSection
{
    public const string Section = "Auth:SignIn";

    /// <summary>Sign-in form posts one client address may make per <see cref="Window"/>, right or wrong (ASP.NET Core's
    /// rate limiter; bounds the password hashing one address can cause).</summary>
    /// <value>Posts. Default 30.</value>
    [Bounds(1, 10_000)]
    public int AttemptsPerAddress { get; set; } = 30;

    /// <summary>Failed sign-ins (form or HTTP Basic, any user name) one client address may make per <see cref="Window"/>;
    /// after that every attempt from the address is refused until the window ends (stops trying one password on many
    /// names).</summary>
    /// <value>Failures. Default 10.</value>
    [Bounds(1, 10_000)]
    public int FailuresPerAddress { get; set; } = 10;

    /// <summary>The window of both per-address limits.</summary>
    /// <value>Default 1 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed sign-ins for one user name within <see cref="LockoutWindow"/> that lock the name out.</summary>
    /// <value>Failures. Default 5.</value>
    [Bounds(1, 1_000)]
    public int LockoutFailures { get; set; } = 5;

    /// <summary>The window of <see cref="LockoutFailures"/>.</summary>
    /// <value>Default 15 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a locked-out user name is refused, even with the right password (a supervisor can lift it
    /// earlier: <c>DELETE /api/auth/lockouts/{name}</c>).</summary>
    /// <value>Default 15 min.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    string ISettingsSection.SectionPath => Section;
}

/// <summary>A user name that is locked out, as supervisors see it (<c>GET /api/auth/lockouts</c>).</summary>
public sealed record Lockout(string Name, DateTimeOffset LockedUntil, int Failures, string LastAddress);

/// <summary>The outcome of one sign-in attempt: a role (signed in, with the user's security stamp), a wait (refused without
/// checking the password: the user name is locked out or the address has failed too often), or neither (wrong name or
/// password).</summary>
internal readonly record struct SignInAttempt(string? Role, TimeSpan? RetryAfter, string? Stamp = null)
{
    public static SignInAttempt Wrong => default;
}

/// <summary>
/// Every password check of the hub (sign-in form and HTTP Basic) goes through here: a locked-out user name or an address
/// that failed too often is refused before the password is checked (so a right guess does not get through either), and
/// each failure counts towards both. The password check itself is <see cref="UserAccounts.Verify"/>: where the users come
/// from does not matter here. Lockouts are kept in memory (a hub restart lifts them) and bounded in number.
/// </summary>
internal sealed class SignInGuard : IDisposable
{
    /// <summary>User names tracked at most; past it, names with no recent failure and no lockout are forgotten.</summary>
    private const int MaxTracked = 10_000;

    private readonly UserAccounts _users;
    private readonly SignInOptions _o;
    private readonly TimeProvider _time;
    private readonly ILogger<SignInGuard> _logger;
    private readonly PartitionedRateLimiter<string> _addressFailures;
    private readonly Dictionary<string, Tracked> _names = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Counter<long> _failures;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _lockouts;

    public SignInGuard(UserAccounts users, IOptions<SignInOptions> options, TimeProvider time, IMeterFactory meters, ILogger<SignInGuard> logger)
    {
        _users = users;
        _o = options.Value;
        _time = time;
        _logger = logger;
        // System.Threading.RateLimiting (the limiters behind ASP.NET Core's AddRateLimiter) keeps real time.
        _addressFailures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new()
        {
            PermitLimit = _o.FailuresPerAddress, Window = _o.Window, QueueLimit = 0, AutoReplenishment = true,
        }));
        var meter = meters.Create(HubMetrics.MeterName);
        _failures = meter.CreateCounter<long>("somnis.auth.failures", "{attempt}", "Failed sign-ins, by scheme (form, basic)");
        _throttled = meter.CreateCounter<long>("somnis.auth.throttled", "{attempt}", "Sign-in attempts refused with 429, by reason (locked-out, address-failures, address-attempts)");
        _lockouts = meter.CreateCounter<long>("somnis.auth.lockouts", "{lockout}", "User names locked out after repeated failed sign-ins");
        meter.CreateObservableGauge("somnis.auth.locked", () => (long)Lockouts().Count, "{user}", "User names locked out now");
    }

    /// <summary>Checks a name and password from <paramref name="address"/> through <paramref name="scheme"/> (form, basic).</summary>
    public SignInAttempt Attempt(string name, string password, IPAddress? address, string scheme)
    {
        var from = address?.ToString() ?? "unknown";
        if (LockedFor(name) is { } remaining)
        {
            return Throttled("locked-out", from, remaining);
        }

        using (var probe = _addressFailures.AttemptAcquire(from, 0))
        {
            if (!probe.IsAcquired)
            {
                return Throttled("address-failures", from, probe.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : _o.Window);
            }
        }

        if (_users.Verify(name, password) is { } user)
        {
            lock (_lock)
            {
                _names.Remove(name);
            }

            return new SignInAttempt(user.Role, null, user.Stamp);
        }

        _addressFailures.AttemptAcquire(from, 1).Dispose();
        _failures.Add(1, new KeyValuePair<string, object?>("scheme", scheme));
        Failed(name, from);
        return SignInAttempt.Wrong;
    }

    /// <summary>Counts an attempt that ASP.NET Core's rate limiter refused (too many sign-in posts from one address).</summary>
    public void CountRejected() => _throttled.Add(1, new KeyValuePair<string, object?>("reason", "address-attempts"));

    /// <summary>User names locked out now, soonest to end first.</summary>
    public IReadOnlyList<Lockout> Lockouts()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return [.. _names.Where(n => n.Value.LockedUntil > now)
                .Select(n => new Lockout(n.Key, n.Value.LockedUntil, n.Value.LockoutFailures, n.Value.LastAddress))
                .OrderBy(l => l.LockedUntil)];
        }
    }

    /// <summary>Lifts a lockout before it ends (a supervisor's action). False when the name is not locked out.</summary>
    public bool Unlock(string name, string by)
    {
        lock (_lock)
        {
            if (!_names.TryGetValue(name, out var t) || t.LockedUntil <= _time.GetUtcNow())
            {
                return false;
            }

            _names.Remove(name);
        }

        Log.LockoutLifted(_logger, Shorten(name), by);
        return true;
    }

    public void Dispose() => _addressFailures.Dispose();

    private TimeSpan? LockedFor(string name)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _names.TryGetValue(name, out var t) && t.LockedUntil > now ? t.LockedUntil - now : null;
        }
    }

    private SignInAttempt Throttled(string reason, string from, TimeSpan retryAfter)
    {
        _throttled.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Log.SignInThrottled(_logger, from, reason);
        return new SignInAttempt(null, retryAfter);
    }

    private void Failed(string name, string from)
    {
        var now = _time.GetUtcNow();
        Lockout? started = null;
        lock (_lock)
        {
            if (!_names.TryGetValue(name, out var t))
            {
                if (_names.Count >= MaxTracked)
                {
                    Forget(now);
                }

                _names[name] = t = new Tracked();
            }

            t.LastAddress = from;
            while (t.Failures.TryPeek(out var oldest) && now - oldest >= _o.LockoutWindow)
            {
                t.Failures.Dequeue();
            }

            t.Failures.Enqueue(now);
            if (t.Failures.Count >= _o.LockoutFailures)
            {
                t.LockedUntil = now + _o.LockoutDuration;
                t.LockoutFailures = t.Failures.Count;
                t.Failures.Clear();
                started = new Lockout(name, t.LockedUntil, t.LockoutFailures, from);
            }
        }

        if (started is not null)
        {
            _lockouts.Add(1);
            Log.UserLockedOut(_logger, Shorten(name), started.LockedUntil, started.Failures, from);
        }
    }

    /// <summary>Forgets names that are neither locked out nor failed within the lockout window.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (name, t) in _names.ToList())
        {
            if (t.LockedUntil <= now && (t.Failures.Count == 0 || now - t.Failures.Last() >= _o.LockoutWindow))
            {
                _names.Remove(name);
            }
        }
    }

    private static string Shorten(string name) => name.Length > 64 ? name[..64] : name;

    private sealed class Tracked
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public DateTimeOffset LockedUntil { get; set; }

        public int LockoutFailures { get; set; }

        public string LastAddress { get; set; } = "";
    }
}

/// <summary>Generated from <see cref="SignInOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class SignInOptionsValidator : IValidateOptions<SignInOptions>;

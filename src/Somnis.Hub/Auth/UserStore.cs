using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Auth;

/// <summary>Checks user names and passwords against the configured hashes.</summary>
internal sealed class UserStore(IOptionsMonitor<AuthOptions> options, TimeProvider time)
{
    // PBKDF2 is slow on purpose (~50 ms); API clients send Basic credentials with every request, so a successful
    // check is remembered for a few minutes, keyed by a SHA-256 of the credentials (never the password itself).
    private static readonly TimeSpan VerifiedFor = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, (string Role, DateTimeOffset Until)> _verified = new();

    public string? Verify(string name, string password)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name + "\0" + password)));
        var now = time.GetUtcNow();
        if (_verified.TryGetValue(key, out var hit) && hit.Until > now)
        {
            return hit.Role;
        }

        var user = options.CurrentValue.Users.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal));
        if (user is null || !Passwords.Verify(password, user.PasswordHash))
        {
            return null;
        }

        if (_verified.Count > 10_000)
        {
            _verified.Clear();
        }

        _verified[key] = (user.Role, now + VerifiedFor);
        return user.Role;
    }
}

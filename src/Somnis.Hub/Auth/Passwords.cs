using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Somnis.Hub.Auth;

/// <summary>What checking a password against a stored hash found.</summary>
internal enum PasswordCheck
{
    Wrong,
    Right,

    /// <summary>Right, but the hash is of an older format or strength: store <see cref="Passwords.Hash"/> of it instead.</summary>
    RightButOutdated,
}

/// <summary>
/// Password hashes. New ones are ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (format v3: PBKDF2 with
/// HMAC-SHA512, 100,000 iterations, 128-bit salt, base64). Hashes of the hub's older format,
/// <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64 parts, made by <c>hash-password</c> before), still verify and are
/// reported <see cref="PasswordCheck.RightButOutdated"/>, so the next successful sign-in replaces them.
/// </summary>
public static class Passwords
{
    /// <summary>Shortest new password (command line, API, <c>hash-password</c>; docs/operations.md, "Users").</summary>
    public const int MinLength = 12;

    /// <summary>Longest password: hashing is slow on purpose, so its input is bounded.</summary>
    public const int MaxLength = 1024;

    private const string LegacyPrefix = "pbkdf2-sha256";

    private static readonly PasswordHasher<Account> Hasher = new();
    private static readonly Account Nobody = new();

    public static string Hash(string password) => Hasher.HashPassword(Nobody, password);

    /// <summary>Why <paramref name="password"/> cannot be a new password, or null when it can.</summary>
    public static string? Problem(string? password) => password switch
    {
        null or "" => "a password is required",
        { Length: < MinLength } => $"the password is too short: at least {MinLength} characters",
        { Length: > MaxLength } => $"the password is too long: at most {MaxLength} characters",
        _ when string.IsNullOrWhiteSpace(password) => "the password is blank",
        _ => null,
    };

    /// <summary>A hash of either format (configuration check at start-up).</summary>
    public static bool IsWellFormed(string? stored) => TryParseLegacy(stored, out _, out _, out _) || IsIdentityV3(stored);

    internal static PasswordCheck Verify(string password, string stored)
    {
        if (password.Length > MaxLength)
        {
            return PasswordCheck.Wrong;
        }

        if (TryParseLegacy(stored, out var iterations, out var salt, out var expected))
        {
            var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected) ? PasswordCheck.RightButOutdated : PasswordCheck.Wrong;
        }

        if (!IsIdentityV3(stored))
        {
            return PasswordCheck.Wrong;
        }

        return Hasher.VerifyHashedPassword(Nobody, stored, password) switch
        {
            PasswordVerificationResult.Success => PasswordCheck.Right,
            PasswordVerificationResult.SuccessRehashNeeded => PasswordCheck.RightButOutdated,
            _ => PasswordCheck.Wrong,
        };
    }

    /// <summary>The layout of a v3 hash: 0x01, PRF, iterations, salt length (big-endian 32-bit each), salt, subkey.
    /// Checked before the hasher sees it, which throws on what is not base64.</summary>
    private static bool IsIdentityV3(string? stored)
    {
        if (string.IsNullOrEmpty(stored) || stored.Length > 1024)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[stored.Length];
        if (!Convert.TryFromBase64String(stored, bytes, out var length) || length < 13 || bytes[0] != 0x01)
        {
            return false;
        }

        var prf = BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]);
        var iterations = BinaryPrimitives.ReadUInt32BigEndian(bytes[5..]);
        var saltLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[9..]);
        return prf <= 2 && iterations is >= 10_000 and <= 10_000_000 && saltLength is >= 16 and <= 512 && length - 13 - (int)saltLength >= 16;
    }

    private static bool TryParseLegacy(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored?.Split('$');
        if (parts is not { Length: 4 } || parts[0] != LegacyPrefix
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 10_000)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
            return salt.Length >= 8 && hash.Length >= 16;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The hasher's user type; it does not use the user.</summary>
    private sealed class Account;
}

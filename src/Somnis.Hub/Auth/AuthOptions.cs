using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Auth;

/// <summary>Roles, from least to most privileged. A supervisor can do everything a technician can.</summary>
public static class Roles
{
    public const string Technician = "technician";
    public const string Supervisor = "supervisor";

    public static bool IsKnown(string? role) => role is Technician or Supervisor;
}

/// <summary>Sign-in settings (section <c>Auth</c>).</summary>
public sealed class AuthOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>The users of the first start: copied into the store while it has no users, then no longer read (the store is
    /// the truth; docs/operations.md, "Users"). Passwords are stored hashed (<c>dotnet run --project src/Somnis.Hub -- hash-password</c>).</summary>
    public List<UserEntry> Users { get; set; } = [];

    /// <summary>How long a browser stays signed in without activity.</summary>
    /// <value>Default 12 h (a night shift).</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        AuthOptionsValidator.Rules(this).Select(e => new ValidationResult(e));
}

public sealed class UserEntry
{
    public string Name { get; set; } = "";

    /// <summary><c>technician</c> or <c>supervisor</c>.</summary>
    public string Role { get; set; } = "";

    /// <summary>A hash from <see cref="Passwords.Hash"/> (<c>hash-password</c>; the older <c>pbkdf2-sha256$…</c> format too);
    /// never a clear-text password.</summary>
    public string PasswordHash { get; set; } = "";
}

/// <summary>Generated from <see cref="AuthOptions"/>' attributes, plus <see cref="Rules"/> for the users.</summary>
[OptionsValidator]
internal sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    internal static List<string> Rules(AuthOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Users.Count; i++)
        {
            var u = options.Users[i];
            if (UserNames.Problem(u.Name) is { } nameProblem)
            {
                errors.Add($"Auth:Users:{i}:Name: {nameProblem}");
            }
            else if (options.Users.Take(i).Any(other => string.Equals(other.Name, u.Name, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"Auth:Users:{i}:Name '{u.Name}' is listed twice (names are unique ignoring case)");
            }

            if (!Roles.IsKnown(u.Role))
            {
                errors.Add($"Auth:Users:{i}:Role must be '{Roles.Technician}' or '{Roles.Supervisor}' (got '{u.Role}')");
            }

            if (!Passwords.IsWellFormed(u.PasswordHash))
            {
                errors.Add($"Auth:Users:{i}:PasswordHash is not a password hash (create one with: dotnet run --project src/Somnis.Hub -- hash-password)");
            }
        }

        return errors;
    }
}

using Somnis.Hub.Alarms;

namespace Somnis.Hub.Auth;

/// <summary>A user who may sign in, as the store keeps them.</summary>
/// <param name="Name">Exact spelling, as signed in (<see cref="UserNames"/>).</param>
/// <param name="Role"><see cref="Roles.Technician"/> or <see cref="Roles.Supervisor"/>.</param>
/// <param name="PasswordHash">A hash of <see cref="Passwords"/> (either format); never a password.</param>
/// <param name="Stamp">Security stamp: a random value replaced whenever the user's role or password changes. A browser
/// session carries the stamp it was signed in with and ends when the user's stamp is no longer that (<see cref="UserSessions"/>).</param>
/// <param name="CreatedBy">User name, <c>configuration</c> (seeded from <c>Auth:Users</c>) or <c>command-line:ACCOUNT</c>.</param>
internal sealed record StoredUser(string Name, string Role, string PasswordHash, string Stamp, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>What a change of a user came to in the store.</summary>
internal enum UserWrite
{
    Done,
    NotFound,

    /// <summary>Refused: it would leave the store without a supervisor (removing or demoting the last one).</summary>
    LastSupervisor,
}

/// <summary>
/// Where the users who may sign in are kept: the seam for a server database (issue 21). The embedded SQLite store
/// implements it (SomnisStore.Users.cs). Every method throws on failure (a <see cref="System.Data.Common.DbException"/>);
/// a write happens entirely, its audit entry included (same transaction, the alarm feature's audit trail), or not at all.
/// </summary>
/// <remarks>
/// Names are unique ignoring case (no <c>Tess</c> beside <c>tess</c>) and found by their exact spelling. The store itself
/// keeps the one rule that two hubs or a hub and the command line could otherwise break together: it never removes or
/// demotes its last supervisor (checked and written in one serialised transaction). Everything else (name, role and
/// password rules) is checked above it, in <see cref="UserAccounts"/>.
/// </remarks>
internal interface IUserStore
{
    /// <summary>Every user, by name (ordinal).</summary>
    IReadOnlyList<StoredUser> Users();

    StoredUser? FindUser(string name);

    /// <summary>Adds a user; false, with nothing written, when the name is taken (ignoring case).</summary>
    bool AddUser(StoredUser user, AuditEntry audit);

    /// <summary>Adds every one of <paramref name="users"/> (with its audit entry, same index) only if the store has no
    /// users at all, in one transaction. Returns how many were added: 0 when it had users.</summary>
    int SeedUsers(IReadOnlyList<StoredUser> users, IReadOnlyList<AuditEntry> audit);

    UserWrite RemoveUser(string name, AuditEntry audit);

    /// <summary>Sets the role and replaces the stamp.</summary>
    UserWrite SetRole(string name, string role, string stamp, AuditEntry audit);

    /// <summary>Sets a new password hash and replaces the stamp. False when there is no such user.</summary>
    bool SetPassword(string name, string passwordHash, string stamp, AuditEntry audit);

    /// <summary>Replaces an outdated hash of the same password (a rehash at sign-in): only while the stored hash is still
    /// <paramref name="expectedHash"/>, keeping the stamp (sessions go on) and writing no audit (nothing changed for the
    /// user). False when the hash changed meanwhile.</summary>
    bool ReplaceHash(string name, string expectedHash, string newHash);
}

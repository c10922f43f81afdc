using Npgsql;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Storage;

/// <summary>The users who may sign in, in the shared store (schema step 3), so every hub node and the <c>users</c> command
/// see the same users. Audit entries go into the shared audit trail in the same transaction as the change they record.</summary>
internal sealed partial class PostgresStore : IUserStore
{
    private const string UserColumns = "name, role, password_hash, stamp, created_at, created_by";

    /// <summary>Taken by every transaction that changes users (<c>LOCK TABLE ... EXCLUSIVE</c> lets readers on): the
    /// last-supervisor check and the write cannot interleave with another node's or the command line's.</summary>
    private const string LockUsers = "LOCK TABLE users IN EXCLUSIVE MODE;";

    public IReadOnlyList<StoredUser> Users() => Query($"SELECT {UserColumns} FROM users ORDER BY name;", ReadUser);

    public StoredUser? FindUser(string name) =>
        Query($"SELECT {UserColumns} FROM users WHERE name = @name;", ReadUser, P("name", name)).FirstOrDefault();

    public bool AddUser(StoredUser user, AuditEntry audit) => Write((c, tx) =>
    {
        // DO NOTHING covers both the key and the index that ignores case: a taken name adds nothing.
        if (InsertUser(c, tx, user, "ON CONFLICT DO NOTHING") == 0)
        {
            return false;
        }

        WriteAudit(c, tx, [audit]);
        return true;
    });

    public int SeedUsers(IReadOnlyList<StoredUser> users, IReadOnlyList<AuditEntry> audit) => WriteUnfenced((c, tx) =>
    {
        Execute(c, tx, LockUsers);
        using (var count = new NpgsqlCommand("SELECT count(*) FROM users;", c, tx))
        {
            if ((long)count.ExecuteScalar()! > 0)
            {
                return 0;
            }
        }

        foreach (var user in users)
        {
            InsertUser(c, tx, user, "");
        }

        WriteAudit(c, tx, audit);
        return users.Count;
    });

    public UserWrite RemoveUser(string name, AuditEntry audit) => ChangeUser(name, demotes: true, audit,
        (c, tx) => Execute(c, tx, "DELETE FROM users WHERE name = @name;", P("name", name)));

    public UserWrite SetRole(string name, string role, string stamp, AuditEntry audit) => ChangeUser(name, demotes: role != Roles.Supervisor, audit,
        (c, tx) => Execute(c, tx, "UPDATE users SET role = @role, stamp = @stamp WHERE name = @name;", P("name", name), P("role", role), P("stamp", stamp)));

    public bool SetPassword(string name, string passwordHash, string stamp, AuditEntry audit) => ChangeUser(name, demotes: false, audit,
        (c, tx) => Execute(c, tx, "UPDATE users SET password_hash = @hash, stamp = @stamp WHERE name = @name;",
            P("name", name), P("hash", passwordHash), P("stamp", stamp))) == UserWrite.Done;

    public bool ReplaceHash(string name, string expectedHash, string newHash) => WriteUnfenced((c, tx) =>
        Execute(c, tx, "UPDATE users SET password_hash = @new WHERE name = @name AND password_hash = @expected;",
            P("name", name), P("expected", expectedHash), P("new", newHash)) == 1);

    /// <summary>Changes one user in a transaction: not found, or (when <paramref name="demotes"/> and the user is a
    /// supervisor) refused if no other supervisor would remain; else the change and its audit entry.</summary>
    private UserWrite ChangeUser(string name, bool demotes, AuditEntry audit, Action<NpgsqlConnection, NpgsqlTransaction> change) => Write((c, tx) =>
    {
        Execute(c, tx, LockUsers);
        string? role;
        using (var find = new NpgsqlCommand("SELECT role FROM users WHERE name = @name;", c, tx))
        {
            find.Parameters.Add(P("name", name));
            role = find.ExecuteScalar() as string;
        }

        if (role is null)
        {
            return UserWrite.NotFound;
        }

        if (demotes && role == Roles.Supervisor)
        {
            using var supervisors = new NpgsqlCommand("SELECT count(*) FROM users WHERE role = @role;", c, tx);
            supervisors.Parameters.Add(P("role", Roles.Supervisor));
            if ((long)supervisors.ExecuteScalar()! <= 1)
            {
                return UserWrite.LastSupervisor;
            }
        }

        change(c, tx);
        WriteAudit(c, tx, [audit]);
        return UserWrite.Done;
    });

    private static int InsertUser(NpgsqlConnection c, NpgsqlTransaction tx, StoredUser user, string onConflict) => Execute(c, tx,
        $"INSERT INTO users ({UserColumns}) VALUES (@name, @role, @hash, @stamp, @at, @by) {onConflict};",
        P("name", user.Name), P("role", user.Role), P("hash", user.PasswordHash), P("stamp", user.Stamp), P("at", Ts(user.CreatedAt)), P("by", user.CreatedBy));

    private static void WriteAudit(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<AuditEntry> audit)
    {
        if (audit.Count == 0)
        {
            return;
        }

        using var batch = new NpgsqlBatch(c, tx);
        AddAudit(batch, audit);
        batch.ExecuteNonQuery();
    }

    private static StoredUser ReadUser(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ReadTs(r, 4), r.GetString(5));
}

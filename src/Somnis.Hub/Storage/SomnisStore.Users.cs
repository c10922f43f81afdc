using Microsoft.Data.Sqlite;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Storage;

/// <summary>The users who may sign in, in the embedded store (schema step 6). Audit entries go into the alarm feature's
/// <c>audit</c> table in the same transaction as the change they record. Writes begin <c>IMMEDIATE</c> transactions
/// (the driver's default), so the last-supervisor check and the write cannot interleave with another writer's.</summary>
internal sealed partial class SomnisStore : IUserStore
{
    private const string UserColumns = "name, role, password_hash, stamp, created_at, created_by";

    public IReadOnlyList<StoredUser> Users() => ReadUsers("ORDER BY name", _ => { });

    public StoredUser? FindUser(string name) => ReadUsers("WHERE name = $name", p => p.AddWithValue("$name", name)).FirstOrDefault();

    public bool AddUser(StoredUser user, AuditEntry audit)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        // OR IGNORE covers both the key and the unique index that ignores case: a taken name adds nothing.
        if (InsertUser(c, tx, user, "INSERT OR IGNORE") == 0)
        {
            return false;
        }

        Write(c, tx, null, [audit]);
        tx.Commit();
        return true;
    }

    public int SeedUsers(IReadOnlyList<StoredUser> users, IReadOnlyList<AuditEntry> audit)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        if (Count(c, tx, "SELECT count(*) FROM users;") > 0)
        {
            return 0;
        }

        foreach (var user in users)
        {
            InsertUser(c, tx, user, "INSERT");
        }

        Write(c, tx, null, audit);
        tx.Commit();
        return users.Count;
    }

    public UserWrite RemoveUser(string name, AuditEntry audit) => ChangeUser(name, demotes: true, audit, (c, tx) =>
        Run(c, tx, "DELETE FROM users WHERE name = $name;", p => p.AddWithValue("$name", name)));

    public UserWrite SetRole(string name, string role, string stamp, AuditEntry audit) => ChangeUser(name, demotes: role != Roles.Supervisor, audit, (c, tx) =>
        Run(c, tx, "UPDATE users SET role = $role, stamp = $stamp WHERE name = $name;", p =>
        {
            p.AddWithValue("$name", name);
            p.AddWithValue("$role", role);
            p.AddWithValue("$stamp", stamp);
        }));

    public bool SetPassword(string name, string passwordHash, string stamp, AuditEntry audit) =>
        ChangeUser(name, demotes: false, audit, (c, tx) =>
            Run(c, tx, "UPDATE users SET password_hash = $hash, stamp = $stamp WHERE name = $name;", p =>
            {
                p.AddWithValue("$name", name);
                p.AddWithValue("$hash", passwordHash);
                p.AddWithValue("$stamp", stamp);
            })) == UserWrite.Done;

    public bool ReplaceHash(string name, string expectedHash, string newHash)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var replaced = Run(c, tx, "UPDATE users SET password_hash = $new WHERE name = $name AND password_hash = $expected;", p =>
        {
            p.AddWithValue("$name", name);
            p.AddWithValue("$expected", expectedHash);
            p.AddWithValue("$new", newHash);
        });
        tx.Commit();
        return replaced == 1;
    }

    /// <summary>Changes one user in a transaction: not found, or (when <paramref name="demotes"/> and the user is a
    /// supervisor) refused if no other supervisor would remain; else the change and its audit entry.</summary>
    private UserWrite ChangeUser(string name, bool demotes, AuditEntry audit, Action<SqliteConnection, SqliteTransaction> change)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        string? role;
        using (var find = c.CreateCommand())
        {
            find.Transaction = tx;
            find.CommandText = "SELECT role FROM users WHERE name = $name;";
            find.Parameters.AddWithValue("$name", name);
            role = find.ExecuteScalar() as string;
        }

        if (role is null)
        {
            return UserWrite.NotFound;
        }

        if (demotes && role == Roles.Supervisor && Count(c, tx, $"SELECT count(*) FROM users WHERE role = '{Roles.Supervisor}';") <= 1)
        {
            return UserWrite.LastSupervisor;
        }

        change(c, tx);
        Write(c, tx, null, [audit]);
        tx.Commit();
        return UserWrite.Done;
    }

    private static int InsertUser(SqliteConnection c, SqliteTransaction tx, StoredUser user, string insert) =>
        Run(c, tx, $"{insert} INTO users ({UserColumns}) VALUES ($name, $role, $hash, $stamp, $at, $by);", p =>
        {
            p.AddWithValue("$name", user.Name);
            p.AddWithValue("$role", user.Role);
            p.AddWithValue("$hash", user.PasswordHash);
            p.AddWithValue("$stamp", user.Stamp);
            p.AddWithValue("$at", user.CreatedAt.ToUnixTimeMilliseconds());
            p.AddWithValue("$by", user.CreatedBy);
        });

    private static long Count(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private List<StoredUser> ReadUsers(string where, Action<SqliteParameterCollection> parameters)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UserColumns} FROM users {where};";
        parameters(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        var users = new List<StoredUser>();
        while (r.Read())
        {
            users.Add(new StoredUser(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetString(5)));
        }

        return users;
    }
}

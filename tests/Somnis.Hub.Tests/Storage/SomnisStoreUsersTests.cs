using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests.Storage;

/// <summary>The users in the embedded store (IUserStore): the store keeps its own rules whatever the code above does.</summary>
public sealed class SomnisStoreUsersTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 20, 0, 0, TimeSpan.Zero);
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private static StoredUser User(string name, string role = Roles.Technician, string stamp = "s1") =>
        new(name, role, "hash-of-" + name, stamp, T0, "test");

    private IReadOnlyList<AuditEntry> Audit() => _db.Store.QueryAudit(new AuditFilter(null, null, null, null, null, 100));

    [Fact]
    public void A_user_is_added_once_names_are_unique_ignoring_case_and_found_by_exact_spelling()
    {
        Assert.True(_db.Store.AddUser(User("tess"), TempStore.Audit("user-add")));
        Assert.False(_db.Store.AddUser(User("tess"), TempStore.Audit("user-add")));
        Assert.False(_db.Store.AddUser(User("TESS", Roles.Supervisor), TempStore.Audit("user-add")));
        Assert.Equal(User("tess"), _db.Store.FindUser("tess"));
        Assert.Null(_db.Store.FindUser("Tess"));
        Assert.Equal(["tess"], _db.Store.Users().Select(u => u.Name));
        // One audit entry: the refused adds wrote nothing.
        Assert.Equal(["user-add"], Audit().Select(a => a.Action));
    }

    [Fact]
    public void Seeding_fills_only_a_store_without_users()
    {
        Assert.Equal(2, _db.Store.SeedUsers([User("tess"), User("sam", Roles.Supervisor)], [TempStore.Audit("user-add"), TempStore.Audit("user-add")]));
        Assert.Equal(0, _db.Store.SeedUsers([User("other")], [TempStore.Audit("user-add")]));
        Assert.Equal(["sam", "tess"], _db.Store.Users().Select(u => u.Name));
        Assert.Equal(2, Audit().Count);
    }

    [Fact]
    public void The_last_supervisor_is_neither_removed_nor_demoted()
    {
        _db.Store.SeedUsers([User("sam", Roles.Supervisor), User("tess")], [TempStore.Audit("user-add"), TempStore.Audit("user-add")]);
        Assert.Equal(UserWrite.LastSupervisor, _db.Store.RemoveUser("sam", TempStore.Audit("user-remove")));
        Assert.Equal(UserWrite.LastSupervisor, _db.Store.SetRole("sam", Roles.Technician, "s2", TempStore.Audit("user-role")));
        Assert.Equal(UserWrite.NotFound, _db.Store.RemoveUser("nobody", TempStore.Audit("user-remove")));
        Assert.Equal(2, Audit().Count);

        // With a second supervisor, the first can go; the role change replaces the stamp.
        Assert.Equal(UserWrite.Done, _db.Store.SetRole("tess", Roles.Supervisor, "s2", TempStore.Audit("user-role")));
        Assert.Equal((Roles.Supervisor, "s2"), (_db.Store.FindUser("tess")!.Role, _db.Store.FindUser("tess")!.Stamp));
        Assert.Equal(UserWrite.Done, _db.Store.RemoveUser("sam", TempStore.Audit("user-remove")));
        Assert.Equal(UserWrite.LastSupervisor, _db.Store.RemoveUser("tess", TempStore.Audit("user-remove")));
        Assert.Equal(["user-add", "user-add", "user-role", "user-remove"], Audit().Select(a => a.Action));
    }

    [Fact]
    public void A_password_change_replaces_hash_and_stamp_and_a_rehash_only_an_unchanged_hash()
    {
        _db.Store.AddUser(User("tess"), TempStore.Audit("user-add"));
        Assert.True(_db.Store.ReplaceHash("tess", "hash-of-tess", "rehashed"));
        Assert.Equal(("rehashed", "s1"), (_db.Store.FindUser("tess")!.PasswordHash, _db.Store.FindUser("tess")!.Stamp));
        // A rehash computed from a hash that changed meanwhile is not stored.
        Assert.False(_db.Store.ReplaceHash("tess", "hash-of-tess", "stale"));
        Assert.True(_db.Store.SetPassword("tess", "new-hash", "s2", TempStore.Audit("user-password")));
        Assert.Equal(("new-hash", "s2"), (_db.Store.FindUser("tess")!.PasswordHash, _db.Store.FindUser("tess")!.Stamp));
        Assert.False(_db.Store.SetPassword("nobody", "x", "s3", TempStore.Audit("user-password")));
        Assert.Equal(["user-add", "user-password"], Audit().Select(a => a.Action));
    }
}

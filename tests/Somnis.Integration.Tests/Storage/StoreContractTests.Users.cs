using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;

namespace Somnis.Integration.Tests.Storage;

/// <summary>The users who may sign in (<see cref="IUserStore"/>): each store keeps the rules that two hubs, or a hub and the
/// <c>users</c> command, could otherwise break together, whatever the code above it does.</summary>
public abstract partial class StoreContractTests
{
    private static StoredUser User(string name, string role = Roles.Technician, string stamp = "s1") =>
        new(name, role, "hash-of-" + name, stamp, T0, "test");

    private List<AuditEntry> UserAudit() => [.. Alarms.QueryAudit(new AuditFilter(null, null, null, null, null, 100))];

    [Fact]
    public void A_user_is_added_once_names_are_unique_ignoring_case_and_found_by_exact_spelling()
    {
        Assert.True(Users.AddUser(User("tess"), Audit("user-add")));
        Assert.False(Users.AddUser(User("tess"), Audit("user-add")));
        Assert.False(Users.AddUser(User("TESS", Roles.Supervisor), Audit("user-add")));
        Assert.Equal(User("tess"), Users.FindUser("tess"));
        Assert.Null(Users.FindUser("Tess"));
        Assert.Equal(["tess"], Users.Users().Select(u => u.Name));
        // One audit entry: the refused adds wrote nothing.
        Assert.Equal(["user-add"], UserAudit().Select(a => a.Action));
    }

    [Fact]
    public void Seeding_fills_only_a_store_without_users()
    {
        Assert.Equal(2, Users.SeedUsers([User("tess"), User("sam", Roles.Supervisor)], [Audit("user-add"), Audit("user-add")]));
        Assert.Equal(0, Users.SeedUsers([User("other")], [Audit("user-add")]));
        Assert.Equal(["sam", "tess"], Users.Users().Select(u => u.Name));
        Assert.Equal(2, UserAudit().Count);
    }

    [Fact]
    public void The_last_supervisor_is_neither_removed_nor_demoted()
    {
        Users.SeedUsers([User("sam", Roles.Supervisor), User("tess")], [Audit("user-add"), Audit("user-add")]);
        Assert.Equal(UserWrite.LastSupervisor, Users.RemoveUser("sam", Audit("user-remove")));
        Assert.Equal(UserWrite.LastSupervisor, Users.SetRole("sam", Roles.Technician, "s2", Audit("user-role")));
        Assert.Equal(UserWrite.NotFound, Users.RemoveUser("nobody", Audit("user-remove")));
        Assert.Equal(2, UserAudit().Count);

        // With a second supervisor, the first can go; the role change replaces the stamp.
        Assert.Equal(UserWrite.Done, Users.SetRole("tess", Roles.Supervisor, "s2", Audit("user-role")));
        Assert.Equal((Roles.Supervisor, "s2"), (Users.FindUser("tess")!.Role, Users.FindUser("tess")!.Stamp));
        Assert.Equal(UserWrite.Done, Users.RemoveUser("sam", Audit("user-remove")));
        Assert.Equal(UserWrite.LastSupervisor, Users.RemoveUser("tess", Audit("user-remove")));
        Assert.Equal(["user-add", "user-add", "user-role", "user-remove"], UserAudit().Select(a => a.Action));
    }

    [Fact]
    public void A_password_change_replaces_hash_and_stamp_and_a_rehash_only_an_unchanged_hash()
    {
        Users.AddUser(User("tess"), Audit("user-add"));
        Assert.True(Users.ReplaceHash("tess", "hash-of-tess", "rehashed"));
        Assert.Equal(("rehashed", "s1"), (Users.FindUser("tess")!.PasswordHash, Users.FindUser("tess")!.Stamp));
        // A rehash computed from a hash that changed meanwhile is not stored.
        Assert.False(Users.ReplaceHash("tess", "hash-of-tess", "stale"));
        Assert.True(Users.SetPassword("tess", "new-hash", "s2", Audit("user-password")));
        Assert.Equal(("new-hash", "s2"), (Users.FindUser("tess")!.PasswordHash, Users.FindUser("tess")!.Stamp));
        Assert.False(Users.SetPassword("nobody", "x", "s3", Audit("user-password")));
        Assert.Equal(["user-add", "user-password"], UserAudit().Select(a => a.Action));
    }
}

using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Auth;

/// <summary>Password checks while the store cannot be read (a shared PostgreSQL outage): a user seen since start is checked
/// against their last known record, so HTTP Basic clients keep working; anyone else fails with the store's error.</summary>
public sealed class UserAccountsOutageTests : IDisposable
{
    private readonly TempStore _db = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        _db.Dispose();
    }

    [Fact]
    public void A_user_seen_before_the_outage_is_checked_against_their_last_known_record()
    {
        var store = new FailingUserStore(_db.Store);
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var logger = new TestLogger<UserAccounts>();
        var accounts = new UserAccounts(store, new UserSessions(store, TimeProvider.System, meters, NullLogger<UserSessions>.Instance),
            Options.Create(new AuthOptions()), TimeProvider.System, meters, logger);
        var hash = Passwords.Hash("sam-password-1");
        _db.Store.SeedUsers(
            [new StoredUser("sam", Roles.Supervisor, hash, "s1", DateTimeOffset.UnixEpoch, "test"), new StoredUser("tess", Roles.Technician, hash, "s1", DateTimeOffset.UnixEpoch, "test")],
            [TempStore.Audit("user-add"), TempStore.Audit("user-add")]);
        Assert.Equal("sam", accounts.Verify("sam", "sam-password-1")?.Name);

        store.Down = true;
        Assert.Equal(("sam", Roles.Supervisor), (accounts.Verify("sam", "sam-password-1")?.Name, accounts.Verify("sam", "sam-password-1")?.Role));
        Assert.Null(accounts.Verify("sam", "a-wrong-password"));
        // Never seen since start: no record to check against, so the store's failure stands.
        Assert.ThrowsAny<DbException>(() => accounts.Verify("tess", "sam-password-1"));
        Assert.Single(logger.Lines, l => l.Contains("store", StringComparison.OrdinalIgnoreCase));

        store.Down = false;
        Assert.Equal("tess", accounts.Verify("tess", "sam-password-1")?.Name);
    }

    /// <summary>The store seam, failing like an unreachable database while <see cref="Down"/>.</summary>
    private sealed class FailingUserStore(IUserStore inner) : IUserStore
    {
        public bool Down { get; set; }

        private T Call<T>(Func<T> call) => Down ? throw new SqliteException("the store is down (test)", 10) : call();

        public IReadOnlyList<StoredUser> Users() => Call(inner.Users);

        public StoredUser? FindUser(string name) => Call(() => inner.FindUser(name));

        public bool AddUser(StoredUser user, AuditEntry audit) => Call(() => inner.AddUser(user, audit));

        public int SeedUsers(IReadOnlyList<StoredUser> users, IReadOnlyList<AuditEntry> audit) => Call(() => inner.SeedUsers(users, audit));

        public UserWrite RemoveUser(string name, AuditEntry audit) => Call(() => inner.RemoveUser(name, audit));

        public UserWrite SetRole(string name, string role, string stamp, AuditEntry audit) => Call(() => inner.SetRole(name, role, stamp, audit));

        public bool SetPassword(string name, string passwordHash, string stamp, AuditEntry audit) => Call(() => inner.SetPassword(name, passwordHash, stamp, audit));

        public bool ReplaceHash(string name, string expectedHash, string newHash) => Call(() => inner.ReplaceHash(name, expectedHash, newHash));
    }
}

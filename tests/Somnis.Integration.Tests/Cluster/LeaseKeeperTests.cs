using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Cluster;
using Somnis.Hub.Storage;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Cluster;

/// <summary>
/// The lease keeper's rounds against a real PostgreSQL 15 (the lease's clock is the database's), with each node's own clock
/// a fake one: one active at a time, a new term per acquisition, the fence refusing a stale holder's writes, isolation at the
/// deadline, release on a clean stop.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeaseKeeperTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly HaOptions Ha = new() { Enabled = true, LeaseTime = TimeSpan.FromSeconds(4), RenewEvery = TimeSpan.FromSeconds(1), SafetyMargin = TimeSpan.FromSeconds(1) };
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private string _cs = "";

    public async Task InitializeAsync()
    {
        _cs = await postgres.Server.CreateDatabaseAsync("lease");
        using var store = new PostgresStore(Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = _cs }));
        store.Migrate();
    }

    public Task DisposeAsync()
    {
        _services.Dispose();
        return Task.CompletedTask;
    }

    private sealed record Node(ClusterRole Role, PostgresStore Store, LeaseKeeper Keeper, FakeTimeProvider Time, List<HubRole> Roles) : IDisposable
    {
        /// <summary>A write of the shared state through this node's store (an audit entry).</summary>
        public void Write() => Store.Save(null, [new AuditEntry(0, DateTimeOffset.UnixEpoch, null, "nexus", null, null, "itest", Role.Node, null)]);

        public void Dispose()
        {
            Keeper.Dispose();
            Store.Dispose();
        }
    }

    private Node Start(string name)
    {
        var role = new ClusterRole(Options.Create(new HubOptions { Node = name }), Options.Create(Ha), _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var store = new PostgresStore(Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = _cs }), role);
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var roles = new List<HubRole>();
        role.RoleChanged += (_, now) => roles.Add(now);
        var keeper = new LeaseKeeper(store, role, Options.Create(Ha), time, _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<LeaseKeeper>.Instance);
        return new Node(role, store, keeper, time, roles);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var c = new NpgsqlConnection(_cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task One_node_is_active_the_other_stands_by_and_a_standby_write_is_fenced()
    {
        using var a = Start("a");
        using var b = Start("b");
        var tookOver = new List<long>();
        a.Role.TakingOver += tookOver.Add;

        await a.Keeper.RunOnceAsync(CancellationToken.None);
        await b.Keeper.RunOnceAsync(CancellationToken.None);

        Assert.Equal((HubRole.Active, (long?)1), (a.Role.Role, a.Role.Term));
        Assert.Equal([1L], tookOver);
        Assert.Equal((HubRole.Standby, "a"), (b.Role.Role, b.Role.Holder));
        a.Write();
        Assert.Throws<FencedException>(b.Write);
        Assert.Equal(["a", "b"], a.Store.Nodes().Select(n => n.Node));
        Assert.Equal(("a", 1L), (a.Store.ReadLease().Holder, a.Store.ReadLease().Term));
    }

    [Fact]
    public async Task A_stale_holder_is_refused_by_the_store_and_steps_down_at_its_next_round()
    {
        using var a = Start("a");
        using var b = Start("b");
        await a.Keeper.RunOnceAsync(CancellationToken.None);

        // a pauses (its lease runs out by the database's clock) and b takes the lease with a new term.
        await ExecuteAsync("UPDATE lease SET expires_at = now() - interval '1 second';");
        await b.Keeper.RunOnceAsync(CancellationToken.None);
        Assert.Equal((HubRole.Active, (long?)2), (b.Role.Role, b.Role.Term));

        // a still believes it is active under term 1: the store refuses its write as a whole.
        Assert.Equal(HubRole.Active, a.Role.Role);
        Assert.Throws<FencedException>(a.Write);
        b.Write();

        await a.Keeper.RunOnceAsync(CancellationToken.None);
        Assert.Equal((HubRole.Standby, (long?)null), (a.Role.Role, a.Role.Term));
        Assert.Equal([HubRole.Active, HubRole.Standby], a.Roles);
    }

    [Fact]
    public async Task An_active_past_its_deadline_is_isolated_and_renews_the_same_term_when_nobody_took_it()
    {
        using var a = Start("a");
        await a.Keeper.RunOnceAsync(CancellationToken.None);

        // Its own clock says the last renewal was sent LeaseTime - SafetyMargin ago: it stops acting before renewing.
        a.Time.Advance(Ha.LeaseTime - Ha.SafetyMargin);
        await a.Keeper.RunOnceAsync(CancellationToken.None);

        Assert.Equal([HubRole.Active, HubRole.Isolated, HubRole.Active], a.Roles);
        Assert.Equal((HubRole.Active, (long?)1), (a.Role.Role, a.Role.Term));
    }

    [Fact]
    public async Task A_clean_stop_releases_the_lease_so_a_standby_takes_it_at_its_next_try()
    {
        using var a = Start("a");
        using var b = Start("b");
        await a.Keeper.RunOnceAsync(CancellationToken.None);
        await b.Keeper.RunOnceAsync(CancellationToken.None);

        a.Keeper.Release();
        await b.Keeper.RunOnceAsync(CancellationToken.None);

        Assert.Equal((HubRole.Standby, HubRole.Active, (long?)2), (a.Role.Role, b.Role.Role, b.Role.Term));
        Assert.Throws<FencedException>(a.Write);

        // A restarted a (same name, new instance) never gets term 1 back: it stands by until the lease is free again.
        using var again = Start("a");
        await again.Keeper.RunOnceAsync(CancellationToken.None);
        Assert.Equal((HubRole.Standby, "b"), (again.Role.Role, again.Role.Holder));
    }
}

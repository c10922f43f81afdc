using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Npgsql;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Storage;

/// <summary>
/// What only a server store has: its schema steps shared by several nodes, a server that is not there at start-up, and one
/// that goes away for a while and comes back (the writers keep what they could not write and write it then).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture postgres) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-pgtest-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogCollector _log = new();

    private Postgres Server => postgres.Server;

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static PostgresStore Store(string connectionString) =>
        new(Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connectionString }));

    private StoreStartup Startup(TimeSpan timeout) => new(
        new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir })),
        Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = "Host=unused", StartupTimeout = timeout }),
        _services, TimeProvider.System, new FakeLogger<StoreStartup>(_log));

    private List<string> Logged(int eventId) => [.. _log.GetSnapshot().Where(r => r.Id.Id == eventId).Select(r => r.Message)];

    /// <summary>Stops the shared server for the test's outage and starts it again whatever happens in between.</summary>
    private async Task DuringOutageAsync(Func<Task> outage, Func<Task> afterwards)
    {
        await Server.StopAsync();
        try
        {
            await outage();
        }
        finally
        {
            if (!Server.Running)
            {
                await Server.StartAgainAsync();
            }
        }

        await afterwards();
    }

    [Fact]
    public async Task Each_schema_step_is_applied_once_when_two_nodes_migrate_at_once()
    {
        var cs = await Server.CreateDatabaseAsync("migrate");
        using var a = Store(cs);
        using var b = Store(cs);
        Assert.Equal(0, a.SchemaVersion);
        var applied = await Task.WhenAll(Task.Run(a.Migrate), Task.Run(b.Migrate));
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), applied.SelectMany(x => x).Select(m => m.Version).Order());
        Assert.Equal((PostgresMigrations.Latest, PostgresMigrations.Latest), (a.SchemaVersion, b.SchemaVersion));
        Assert.Empty(a.Migrate());
        Assert.Equal((long)PostgresMigrations.All.Count, await Server.ScalarAsync<long>(cs, "SELECT count(*) FROM schema_version;"));
    }

    [Fact]
    public async Task A_database_from_a_newer_hub_is_refused_at_once_naming_the_setting()
    {
        var cs = await Server.CreateDatabaseAsync("newer");
        using var store = Store(cs);
        store.Migrate();
        await Server.ExecuteAsync("INSERT INTO schema_version (version, name) VALUES (99, 'from the future');", new NpgsqlConnectionStringBuilder(cs).Database!);

        var ex = Assert.Throws<InvalidOperationException>(() => store.Migrate());
        Assert.Contains($"schema version 99 but this hub knows only up to {PostgresMigrations.Latest}", ex.Message, StringComparison.Ordinal);
        Assert.False(await Startup(TimeSpan.FromMinutes(5)).OpenSharedAsync(store, CancellationToken.None));
        var message = Assert.Single(Logged(904));
        Assert.Contains("Store:ConnectionString", message, StringComparison.Ordinal);
        Assert.Contains("schema version 99", message, StringComparison.Ordinal);
        Assert.Empty(Logged(902));
    }

    [Fact]
    public async Task An_unreachable_server_is_retried_until_the_startup_timeout_then_the_hub_gives_up()
    {
        using var store = Store($"Host=127.0.0.1;Port={Net.FreePort()};Username=somnis;Database=somnis;Timeout=2");
        var unreachable = Assert.ThrowsAny<DbException>(() => store.Ping());
        Assert.True(unreachable.IsTransient, unreachable.ToString());

        Assert.False(await Startup(TimeSpan.FromSeconds(3)).OpenSharedAsync(store, CancellationToken.None));
        Assert.NotEmpty(Logged(902));
        Assert.All(Logged(902), m => Assert.Contains("Store:StartupTimeout", m, StringComparison.Ordinal));
        var gaveUp = Assert.Single(Logged(903));
        Assert.Contains("00:00:03", gaveUp, StringComparison.Ordinal);
        Assert.Contains("Store:ConnectionString", gaveUp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_comes_up_within_the_startup_timeout_is_used()
    {
        var cs = await Server.CreateDatabaseAsync("late");
        using var store = Store(cs);
        Task<bool>? opening = null;
        await DuringOutageAsync(
            async () =>
            {
                opening = Startup(TimeSpan.FromMinutes(3)).OpenSharedAsync(store, CancellationToken.None);
                await Eventually.UntilAsync(() => Task.FromResult(Logged(902).Count > 0), Patience, "the first retry to be logged");
            },
            async () => Assert.True(await opening!.WaitAsync(Patience), string.Join('\n', _log.GetSnapshot().Select(r => r.Message))));
        Assert.Single(Logged(901));
        Assert.Equal(PostgresMigrations.Latest, store.SchemaVersion);
    }

    [Fact]
    public async Task While_the_server_is_down_alarm_and_night_writes_are_kept_and_written_when_it_returns()
    {
        var cs = await Server.CreateDatabaseAsync("outage");
        using var store = Store(cs);
        store.Migrate();
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var alarms = new AlarmStoreWriter(store, meters, new FakeLogger<AlarmStoreWriter>(_log));
        using var nights = new NightWriter(store, Options.Create(new StorageOptions()), TimeProvider.System, meters, new FakeLogger<NightWriter>(_log));
        var before = new AuditEntry(0, T0, null, "nexus", "bed-01", null, "before", "test", null);
        alarms.SaveNow(null, [before]); // the pool now holds connections that the outage will break
        var key = new NightKey("nexus", "bed-01", T0);
        var epoch = new StoredEpoch(0, EpochState.Sleep, 0.9, 0, 55, true, false);

        await DuringOutageAsync(
            () =>
            {
                // What a caller of the seams sees: a transient DbException (the writers keep, the API answers 503).
                var down = Assert.ThrowsAny<DbException>(() => store.LoadOpen());
                Assert.True(down.IsTransient, down.ToString());
                for (var i = 0; i < 5; i++)
                {
                    alarms.Enqueue(null, [before with { Action = $"during-{i}", At = T0.AddSeconds(i) }]);
                }

                alarms.Flush();
                Assert.Equal(5, alarms.Queued);
                nights.Enqueue(key, new DateOnly(2026, 3, 1), [epoch, epoch with { Index = 1 }]);
                Assert.ThrowsAny<DbException>(() => nights.WriteOnce());
                Assert.NotNull(nights.Failure);
                Assert.Equal(2, nights.Queue.Epochs);
                return Task.CompletedTask;
            },
            async () =>
            {
                await Eventually.UntilAsync(() => Task.FromResult(alarms.Queued == 0), Patience, "the kept alarm changes to be written");
                await Eventually.UntilAsync(
                    () =>
                    {
                        try
                        {
                            return Task.FromResult(nights.WriteOnce() > 0);
                        }
                        catch (DbException)
                        {
                            return Task.FromResult(false); // a connection of the pool from before the outage, dropped now
                        }
                    },
                    Patience,
                    "the kept night to be written");
            });

        Assert.Equal(["before", "during-0", "during-1", "during-2", "during-3", "during-4"],
            store.QueryAudit(new AuditFilter(null, null, null, null, null, 100)).Select(a => a.Action));
        Assert.Equal(2, store.FindNight(key.Id)!.Epochs);
        Assert.Null(nights.Failure);
        Assert.DoesNotContain(_log.GetSnapshot(), r => r.Message.Contains("could not write", StringComparison.Ordinal));
    }
}

using Microsoft.Extensions.Options;
using Npgsql;
using Somnis.Hub.Alarms;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Storage;

/// <summary>The store contract on a real PostgreSQL 15 (<c>Store:Provider postgres</c>), a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreContractTests(PostgresFixture postgres) : StoreContractTests, IAsyncLifetime
{
    private PostgresStore _store = null!;
    private string _connectionString = "";

    private protected override IAlarmStore Alarms => _store;

    private protected override ISleeperStore Sleepers => _store;

    private protected override INightStore Nights => _store;

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.Server.CreateDatabaseAsync("contract");
        _store = new PostgresStore(Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = _connectionString }));
        _store.Migrate();
    }

    private protected override void Execute(string sql)
    {
        using var c = new NpgsqlConnection(_connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private protected override void RefuseAuditAction(string action) => Execute($"""
        CREATE FUNCTION refuse_{action}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
        END $$;
        CREATE TRIGGER refuse_{action} BEFORE INSERT ON audit FOR EACH ROW WHEN (NEW.action = '{action}') EXECUTE FUNCTION refuse_{action}();
        """);

    public Task DisposeAsync()
    {
        _store.Dispose();
        NpgsqlConnection.ClearAllPools();
        return Task.CompletedTask;
    }
}

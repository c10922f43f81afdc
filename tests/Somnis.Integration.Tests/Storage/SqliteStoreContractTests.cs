using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Integration.Tests.Storage;

/// <summary>The store contract on the embedded SQLite file (<c>Store:Provider sqlite</c>), a fresh file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-contract-").FullName;
    private readonly SomnisStore _store;

    public SqliteStoreContractTests()
    {
        _store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        _store.Migrate();
    }

    private protected override IAlarmStore Alarms => _store;

    private protected override ISleeperStore Sleepers => _store;

    private protected override INightStore Nights => _store;

    private protected override void Execute(string sql)
    {
        using var c = _store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private protected override void RefuseAuditAction(string action) => Execute($"""
        CREATE TRIGGER refuse_{action} BEFORE INSERT ON audit WHEN NEW.action = '{action}'
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
        """);

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

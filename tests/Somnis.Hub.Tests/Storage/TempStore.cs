using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

/// <summary>A migrated embedded store in its own temporary directory, deleted on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    public TempStore()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("somnis-temp-store-").FullName;
        Store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = Directory }));
        Store.Migrate();
    }

    public string Directory { get; }

    public SomnisStore Store { get; }

    /// <summary>Creates a sleeper in one program since always, as a supervisor would.</summary>
    public Sleeper Sleeper(string id, SleepProgram program = SleepProgram.Architect, string? name = null)
    {
        var s = new Sleeper(id, name ?? id, null, [new ProgramEntry(program, null)]);
        Assert.True(Store.CreateSleeper(s, Audit("sleeper-created")));
        return s;
    }

    /// <summary>Admits a sleeper through the store (no rules: the store's own constraints only).</summary>
    public Admission Admit(string sleeper, string bed, DateTimeOffset from, string facility = "nexus") =>
        Store.ApplyAdmission(new AdmissionChange(null, new Admission(0, facility, bed, sleeper, from, null), [Audit("admit", facility, bed)]));

    public static AuditEntry Audit(string action, string facility = "*", string? bed = null) =>
        new(0, DateTimeOffset.UnixEpoch, null, facility, bed, null, action, "test", null);

    public void Dispose()
    {
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

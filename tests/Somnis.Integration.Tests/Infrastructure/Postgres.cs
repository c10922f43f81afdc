using System.Diagnostics;
using Npgsql;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL 15 server (Debian's <c>postgresql</c>, which ./test.sh installs) in a temporary directory, on a free
/// loopback port, with trust authentication for the user <c>somnis</c>. It can be stopped and started again on the same
/// port and data (outage tests). PostgreSQL refuses to run as root, so as root its commands run as the <c>postgres</c>
/// user (<c>runuser -u postgres --</c>) in a directory that user owns. Durability is traded for speed (<c>fsync=off</c>):
/// a test cluster lives for one run.
/// </summary>
public sealed class Postgres : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const string User = "somnis";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private readonly string _dir;
    private int _databases;

    private Postgres(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public bool Running { get; private set; }

    private string DataDirectory => Path.Combine(_dir, "data");

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>initdb and start: a couple of seconds.</summary>
    public static async Task<Postgres> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            throw new InvalidOperationException("PostgreSQL 15 is not installed: run ./test.sh (it installs the Debian package) or apt-get install postgresql");
        }

        var dir = Directory.CreateTempSubdirectory("somnis-postgres-").FullName;
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres", dir]);
        }

        var server = new Postgres(dir, Net.FreePort());
        await RunAsync(Path.Combine(BinDirectory, "initdb"), ["-D", server.DataDirectory, "-A", "trust", "-U", User, "-E", "UTF8", "--no-sync"], asPostgres: true);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>An Npgsql connection string to a database of this server (no pooling by default: tests stop the server).</summary>
    public string ConnectionString(string database = "postgres", bool pooling = false) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Database = database, Pooling = pooling, Timeout = 5 }.ConnectionString;

    /// <summary>A new empty database (each test gets its own: no state leaks between tests).</summary>
    /// <returns>Its connection string.</returns>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}";
        await ExecuteAsync($"CREATE DATABASE \"{name}\";");
        return ConnectionString(name, pooling: true);
    }

    /// <summary>Runs SQL on a database of this server.</summary>
    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var c = new NpgsqlConnection(ConnectionString(database));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Reads one value.</summary>
    public async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var c = new NpgsqlConnection(builder.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>Starts the server (again, same port and data) and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        // -k: the Unix socket in the private directory (the default one belongs to the system's own cluster, if any).
        await RunAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", DataDirectory, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60",
             "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off", "start"],
            asPostgres: true);
        Running = true;
    }

    /// <summary>Stops the server (fast shutdown: open sessions are cut, as in an outage).</summary>
    public async Task StopAsync()
    {
        Running = false;
        await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-w", "-t", "60", "-m", "fast", "stop"], asPostgres: true);
    }

    /// <summary>The server's log, for failure messages.</summary>
    public string Log() => File.Exists(Path.Combine(_dir, "log")) ? File.ReadAllText(Path.Combine(_dir, "log")) : "";

    public async ValueTask DisposeAsync()
    {
        if (Running)
        {
            Running = false;
            await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-w", "-m", "immediate", "stop"], asPostgres: true, check: false);
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres = false, bool check = true)
    {
        var psi = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // runuser keeps the caller's directory, which the postgres user may not be allowed to read.
            WorkingDirectory = "/",
        };
        if (asPostgres && IsRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}

/// <summary>One PostgreSQL server for every test of the <see cref="PostgresCollection"/>: started once per run (initdb costs
/// seconds); each test makes its own database. Tests that stop it start it again before they end.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public Postgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await Postgres.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The tests that share the <see cref="PostgresFixture"/>; they run one after another (some stop the server).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

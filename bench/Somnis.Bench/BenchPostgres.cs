using System.Diagnostics;

namespace Somnis.Bench;

/// <summary>
/// A throw-away PostgreSQL 15 (Debian's <c>postgresql</c>) for the failover phase: <c>initdb</c> + <c>pg_ctl</c> on a free
/// loopback port in a directory of the run, trust authentication for the user <c>somnis</c>. PostgreSQL refuses to run as
/// root, so as root both run as the <c>postgres</c> user (<c>runuser -u postgres --</c>) in a directory it owns. No fsync:
/// the cluster lives for one phase.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;

    private BenchPostgres(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The Npgsql connection string the hubs get (<c>Store:ConnectionString</c>).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=somnis;Database=postgres;Timeout=5";

    private string Data => Path.Combine(_dir, "data");

    private static bool IsRoot => Environment.UserName == "root";

    public static async Task<BenchPostgres> StartAsync(string parent)
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException("PostgreSQL 15 is missing: run ./test.sh (it installs Debian's postgresql)");
        }

        var dir = Directory.CreateDirectory(Path.Combine(parent, "postgres")).FullName;
        if (IsRoot)
        {
            // The run's directory is root's (mode 700 from CreateTempSubdirectory): the postgres user must reach its own.
            await RunAsync("chmod", ["o+x", parent, Path.GetDirectoryName(parent)!], asPostgres: false);
            await RunAsync("chown", ["postgres", dir], asPostgres: false);
        }

        var server = new BenchPostgres(dir, Rig.FreePort());
        await RunAsync(Path.Combine(Bin, "initdb"), ["-D", server.Data, "-A", "trust", "-U", "somnis", "-E", "UTF8", "--no-sync"]);
        // -k: the Unix socket in the private directory (the default one belongs to the system's cluster, if any).
        await RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", server.Data, "-l", Path.Combine(dir, "log"), "-w", "-t", "60",
            "-o", $"-p {server.Port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off", "start"]);
        return server;
    }

    public async ValueTask DisposeAsync() =>
        await RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Data, "-w", "-m", "immediate", "stop"], check: false);

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres = true, bool check = true)
    {
        var wrap = asPostgres && IsRoot;
        // runuser keeps the caller's directory, which the postgres user may not be allowed to read: start in /.
        var psi = new ProcessStartInfo(wrap ? "runuser" : file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in (wrap ? ["-u", "postgres", "--", file] : Array.Empty<string>()).Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {p.ExitCode}: {await output} {await error}");
        }
    }
}

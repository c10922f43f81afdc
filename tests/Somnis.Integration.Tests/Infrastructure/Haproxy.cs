using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// Debian's haproxy (which ./test.sh installs) running the shipped <c>deploy/haproxy/haproxy.cfg</c> as it is, in the
/// foreground, its site values given through the environment as the file expects: TLS on a free loopback port with the
/// hub certificate of a facility directory (deploy/new-facility.sh, hub-certificate.sh), two hubs behind it.
/// </summary>
public sealed class Haproxy : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/haproxy";
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private Haproxy(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string ConfigPath => Path.Combine(RepoPaths.Root, "deploy", "haproxy", "haproxy.cfg");

    /// <summary>The HTTPS port clients use.</summary>
    public int Port { get; }

    /// <summary>What haproxy printed (its log goes to stdout), for failure messages.</summary>
    public string Output => string.Join('\n', _lines.TakeLast(200));

    /// <param name="dir">Where the PEM for the listener is written.</param>
    /// <param name="facility">The facility directory: certs/ca.crt, hub/hub.crt, hub/hub.key.</param>
    public static async Task<Haproxy> StartAsync(string dir, string facility, int hub1Port, int hub2Port)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException("haproxy is not installed: run ./test.sh (it installs the Debian package) or apt-get install haproxy");
        }

        // HAProxy takes certificate and key from one PEM file.
        var pem = Path.Combine(dir, "haproxy.pem");
        await File.WriteAllTextAsync(pem, await File.ReadAllTextAsync(Path.Combine(facility, "hub", "hub.crt")) + await File.ReadAllTextAsync(Path.Combine(facility, "hub", "hub.key")));
        var port = Net.FreePort();
        var psi = new ProcessStartInfo(Executable, ["-db", "-f", ConfigPath]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["SOMNIS_LB_BIND"] = $"127.0.0.1:{port}";
        psi.Environment["SOMNIS_LB_CERT"] = pem;
        psi.Environment["SOMNIS_HUB_CA"] = Path.Combine(facility, "certs", "ca.crt");
        psi.Environment["SOMNIS_HUB_NAME"] = "hub.nexus.test";
        psi.Environment["SOMNIS_HUB_1"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{hub1Port}");
        psi.Environment["SOMNIS_HUB_2"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{hub2Port}");
        var haproxy = new Haproxy(Process.Start(psi) ?? throw new InvalidOperationException("haproxy did not start"), port);
        try
        {
            await Net.WaitForListenerAsync(port, TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException ex)
        {
            throw new InvalidOperationException($"haproxy did not listen on {port}:\n{haproxy.Output}", ex);
        }

        return haproxy;
    }

    private void Keep(string? line)
    {
        if (line is not null && _lines.Count < 10_000)
        {
            _lines.Enqueue(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Diagnostics;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real Mosquitto broker on a free loopback port, with <c>set_tcp_nodelay true</c> (without it a QoS 1 subscriber
/// draining a burst falls to ~160 messages/s) and persistence on. It can be killed and restarted on the same port.
/// Started as root, Mosquitto would switch to its own user and could not write its database into the test's private
/// directory (persistence silently off: every restart would lose all sessions); <c>user root</c> keeps it root.
/// </summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private readonly string _dir;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();
    private Process? _process;

    private Mosquitto(string dir, int port, string extraConfig, string? alsoListenOn)
    {
        _dir = dir;
        Port = port;
        ConfigPath = Path.Combine(dir, "mosquitto.conf");
        File.WriteAllText(ConfigPath, $"""
            listener {port} 127.0.0.1
            {(alsoListenOn is null ? "" : $"listener {port} {alsoListenOn}")}
            allow_anonymous true
            set_tcp_nodelay true
            persistence true
            persistence_location {dir}/
            {(Environment.UserName == "root" ? "user root" : "")}
            autosave_interval 1
            max_queued_messages 1000000
            max_inflight_messages 0
            log_dest stdout
            {extraConfig}
            """);
    }

    public int Port { get; }

    public string ConfigPath { get; }

    public string Url => $"mqtt://127.0.0.1:{Port}";

    public static string Executable => File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";

    /// <param name="extraConfig">More configuration lines.</param>
    /// <param name="alsoListenOn">A second address to listen on (same port), e.g. the host end of a <see cref="VethLink"/>.</param>
    public static async Task<Mosquitto> StartAsync(string extraConfig = "", string? alsoListenOn = null)
    {
        var dir = Directory.CreateTempSubdirectory("somnis-mosquitto-").FullName;
        var broker = new Mosquitto(dir, Net.FreePort(), extraConfig, alsoListenOn);
        await broker.RestartAsync();
        return broker;
    }

    /// <summary>Starts the broker (again) and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        Kill();
        var psi = new ProcessStartInfo(Executable, ["-c", ConfigPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("mosquitto is not installed: run ./test.sh (it installs the Debian package) or apt-get install mosquitto mosquitto-clients", ex);
        }

        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Net.WaitForListenerAsync(Port, TimeSpan.FromSeconds(15));
    }

    /// <summary>The broker's log lines (all runs) that contain <paramref name="text"/>, for failure messages.</summary>
    public IEnumerable<string> LogLines(string text) => _log.Where(l => l.Contains(text, StringComparison.Ordinal));

    private void Keep(string? line)
    {
        if (line is not null && _log.Count < 100_000)
        {
            _log.Enqueue(line);
        }
    }

    /// <summary>kill -9: no clean shutdown, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

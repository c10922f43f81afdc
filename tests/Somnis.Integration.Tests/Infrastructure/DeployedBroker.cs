using System.Diagnostics;
using System.Globalization;
using MQTTnet;
using Somnis.Contracts.Mqtt;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>The broker answered the connection with a refusal code.</summary>
public sealed class ConnectRefusedException(MqttClientConnectResultCode code) : Exception($"connection refused: {code}")
{
    public MqttClientConnectResultCode Code { get; } = code;
}

/// <summary>
/// Mosquitto running the configuration that <c>deploy/new-facility.sh</c> and <c>deploy/provision-bed.sh</c> generate,
/// in a temporary directory on a free loopback port: TLS only, passwords, per-device ACLs.
/// </summary>
public sealed class DeployedBroker : IAsyncDisposable
{
    private readonly Process _process;

    private DeployedBroker(string dir, int port, Process process)
    {
        Directory = dir;
        Port = port;
        _process = process;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Url => $"mqtts://127.0.0.1:{Port}";

    public string CaCertificate => Path.Combine(Directory, "certs", "ca.crt");

    public int ProcessId => _process.Id;

    /// <summary>Sets up the facilities (one hub user each) and beds with the deploy scripts, then starts the broker.</summary>
    public static async Task<DeployedBroker> StartAsync(string[] facilities, params (string Facility, string Bed)[] beds)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("somnis-deploy-").FullName;
        // Mosquitto started as root drops to the mosquitto user, which must be able to enter the directory.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var port = Net.FreePort();
        foreach (var facility in facilities)
        {
            await RunScriptAsync("new-facility.sh", "--facility", facility, "--dir", dir, "--host", "127.0.0.1", "--host", "localhost",
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--data", Path.Combine(dir, "data"));
        }

        foreach (var (facility, bed) in beds)
        {
            await ProvisionAsync(dir, facility, bed);
        }

        var psi = new ProcessStartInfo(Mosquitto.Executable, ["-c", Path.Combine(dir, "mosquitto.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Net.WaitForListenerAsync(port, TimeSpan.FromSeconds(15));
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new InvalidOperationException("mosquitto did not start with the generated configuration:\n" + string.Join("\n", log));
        }
        return new DeployedBroker(dir, port, process);
    }

    public static Task ProvisionAsync(string dir, string facility, string bed) =>
        RunScriptAsync("provision-bed.sh", "--facility", facility, "--bed", bed, "--dir", dir, "--edge-ca", Path.Combine(dir, "certs", "ca.crt"), "--mode", "simulated");

    /// <summary>SIGHUP: Mosquitto re-reads its password file and ACLs (what <c>systemctl reload mosquitto</c> does).</summary>
    public async Task ReloadAsync()
    {
        using var hup = Process.Start("kill", ["-HUP", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        await hup.WaitForExitAsync();
    }

    /// <summary>KEY=VALUE settings of a generated environment file (hub-F.env or edges/F.B.env).</summary>
    public IReadOnlyDictionary<string, string> Env(string relativePath) =>
        File.ReadAllLines(Path.Combine(Directory, relativePath))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);

    /// <summary>The same settings as command-line arguments (<c>Edge__Broker</c> becomes <c>--Edge:Broker</c>).</summary>
    public string[] Args(string relativePath) =>
        [.. Env(relativePath).SelectMany(kv => new[] { "--" + kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value })];

    public string HubPassword(string facility) => Env($"hub-{facility}.env")["Broker__Password"];

    public string BedPassword(string facility, string bed) => Env($"edges/{facility}.{bed}.env")["Edge__BrokerPassword"];

    /// <summary>An MQTT 5 client connected as the given user (TLS with the facility CA unless told otherwise).</summary>
    public async Task<IMqttClient> ConnectAsync(string user, string password, bool tls = true, bool trustCa = true, string? clientId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Port)
            .WithClientId(clientId ?? $"test-{user}-{Guid.NewGuid():N}")
            .WithCredentials(user, password)
            .WithTimeout(TimeSpan.FromSeconds(5));
        if (tls)
        {
            options = options.WithTlsOptions(BrokerTls.Options(new BrokerAddress("127.0.0.1", Port, true), trustCa ? BrokerTls.LoadCa(CaCertificate) : null));
        }

        try
        {
            // MQTTnet 5 reports a refusal (bad credentials, not authorised) as a result, not an exception.
            var result = await client.ConnectAsync(options.Build());
            return result.ResultCode == MqttClientConnectResultCode.Success ? client : throw new ConnectRefusedException(result.ResultCode);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Runs a deploy/ script; throws with its output when it fails.</summary>
    public static async Task RunScriptAsync(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "deploy", script)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/{script} failed ({p.ExitCode}): {await stderr}{await stdout}");
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
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

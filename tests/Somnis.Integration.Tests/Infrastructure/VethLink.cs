using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real network link between an edge and the broker: a network namespace of the test's own, joined to the root
/// namespace by a veth pair on a private /30 in 10.213.0.0/16 (checked unused on this machine). The broker listens on
/// the host end (<see cref="HostAddress"/>); the edge runs inside the namespace (<see cref="ExecPrefix"/>).
/// <see cref="Cut"/> takes the host end down: for the edge the link is still up but nothing comes back (a black hole,
/// as with a pulled cable further along or a dead access point: established connections hang, new ones fail after ARP
/// gives up); a blackhole route with a high metric keeps the host's packets for the edge from leaving by the default
/// route while the link is down. <see cref="Restore"/> brings it up again. Names carry the test process id, and
/// <see cref="DisposeAsync"/> removes everything even after a failure; leftovers of a killed test run are removed the
/// next time (their process is gone). Needs root (CAP_NET_ADMIN) and iproute2: <see cref="TryCreate"/> says why not.
/// </summary>
public sealed partial class VethLink : IAsyncDisposable
{
    private const string Prefix = "somnis-cut-";
    private const int RouteMetric = 4213;
    private static int _counter;
    private readonly string _hostVeth;
    private readonly string _subnet;
    private bool _disposed;

    private VethLink(string name, string hostVeth, string subnet, string hostAddress)
    {
        Namespace = name;
        _hostVeth = hostVeth;
        _subnet = subnet;
        HostAddress = hostAddress;
    }

    /// <summary>The network namespace the edge runs in.</summary>
    public string Namespace { get; }

    /// <summary>The host end's address: the broker listens here, the edge connects here.</summary>
    public string HostAddress { get; }

    /// <summary>Prepended to a command to run it inside the namespace (<c>ip netns exec</c> execs it: same process id).</summary>
    public IReadOnlyList<string> ExecPrefix => ["ip", "netns", "exec", Namespace];

    public string Describe() => $"network namespace {Namespace}, veth {_hostVeth} (host {HostAddress}) on {_subnet}";

    /// <summary>Creates the namespace and link, or returns null with the reason (not root, no iproute2, EPERM…).</summary>
    public static VethLink? TryCreate(out string whyNot)
    {
        whyNot = "";
        if (!OperatingSystem.IsLinux())
        {
            whyNot = "not Linux";
            return null;
        }

        RemoveLeftovers();
        var pid = Environment.ProcessId;
        var n = Interlocked.Increment(ref _counter);
        if (FreeSubnet(pid, n) is not { } third)
        {
            whyNot = "no unused /30 found in 10.213.0.0/16";
            return null;
        }

        var (x, y) = third;
        var subnet = $"10.213.{x}.{y}/30";
        var name = $"{Prefix}{pid}-{n}-10.213.{x}.{y}";
        var hostVeth = $"sc{pid}h{n}";
        var edgeVeth = $"sc{pid}e{n}";
        var link = new VethLink(name, hostVeth, subnet, $"10.213.{x}.{y + 1}");
        var (ok, error) = Ip("netns", "add", name);
        if (!ok)
        {
            whyNot = $"'ip netns add' failed: {error.Trim()}";
            return null;
        }

        string[][] steps =
        [
            ["route", "add", "blackhole", subnet, "metric", RouteMetric.ToString(CultureInfo.InvariantCulture)],
            ["link", "add", hostVeth, "type", "veth", "peer", "name", edgeVeth],
            ["link", "set", edgeVeth, "netns", name],
            ["addr", "add", $"{link.HostAddress}/30", "dev", hostVeth],
            ["link", "set", hostVeth, "up"],
            ["-n", name, "addr", "add", $"10.213.{x}.{y + 2}/30", "dev", edgeVeth],
            ["-n", name, "link", "set", edgeVeth, "up"],
            ["-n", name, "link", "set", "lo", "up"],
        ];
        foreach (var step in steps)
        {
            (ok, error) = Ip(step);
            if (!ok)
            {
                whyNot = $"'ip {string.Join(' ', step)}' failed: {error.Trim()}";
                link.Remove();
                return null;
            }
        }

        return link;
    }

    /// <summary>Pulls the plug: the host end goes down.</summary>
    public void Cut() => Run("link", "set", _hostVeth, "down");

    public void Restore() => Run("link", "set", _hostVeth, "up");

    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            Remove();
        }

        return ValueTask.CompletedTask;
    }

    private void Remove() => Remove(Namespace, _hostVeth, _subnet);

    private static void Remove(string name, string hostVeth, string subnet)
    {
        // Each step regardless of the others: deleting the namespace destroys its veth end, and with it the pair.
        Ip("netns", "del", name);
        Ip("link", "del", hostVeth);
        Ip("route", "del", "blackhole", subnet, "metric", RouteMetric.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Namespaces (and their link and route) left by a test process that no longer exists.</summary>
    private static void RemoveLeftovers()
    {
        var (ok, output) = Ip("netns", "list");
        if (!ok)
        {
            return;
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = LeftoverName().Match(line.Split(' ')[0]);
            if (m.Success && !Directory.Exists($"/proc/{m.Groups["pid"].Value}"))
            {
                Remove(m.Value, $"sc{m.Groups["pid"].Value}h{m.Groups["n"].Value}", $"{m.Groups["net"].Value}/30");
            }
        }
    }

    /// <summary>A /30 in 10.213.0.0/16 with no address on this machine and no route but the default reaching it.</summary>
    private static (int X, int Y)? FreeSubnet(int pid, int n)
    {
        var (_, addresses) = Ip("-4", "-o", "addr", "show");
        for (var attempt = 0; attempt < 64; attempt++)
        {
            // Spread by process id, so test runs of several worktrees at once start far apart.
            var k = (int)(((long)pid * 61 + (n * 7) + (attempt * 131)) % 16384);
            var (x, y) = (k / 64, k % 64 * 4);
            if (Enumerable.Range(y, 4).Any(i => addresses.Contains($"inet 10.213.{x}.{i}/", StringComparison.Ordinal)))
            {
                continue;
            }

            // Every route that would carry packets for the /30 (any table): only the default route may.
            var (ok, routes) = Ip("-4", "route", "show", "table", "all", "to", "match", $"10.213.{x}.{y + 1}");
            if (ok && routes.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(r => r.StartsWith("default", StringComparison.Ordinal)))
            {
                return (x, y);
            }
        }

        return null;
    }

    private static void Run(params string[] args)
    {
        var (ok, error) = Ip(args);
        if (!ok)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {error}");
        }
    }

    /// <summary>Runs <c>ip</c>; success, and its output (stdout, or stderr on failure).</summary>
    private static (bool Ok, string Output) Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? (true, stdout.Result) : (false, stderr);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, $"iproute2 not available ({ex.Message})");
        }
    }

    [GeneratedRegex(@"^somnis-cut-(?<pid>\d+)-(?<n>\d+)-(?<net>10\.213\.\d+\.\d+)$")]
    private static partial Regex LeftoverName();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>A built Somnis program (edge or hub) run as a separate process, as in production.</summary>
public sealed class DotnetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _all = new();

    private DotnetProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_all)
            {
                return _all.ToString();
            }
        }
    }

    /// <summary>Every line printed so far (not only the tail that <see cref="Output"/> keeps).</summary>
    public IEnumerable<string> Lines => _lines;

    /// <summary>
    /// How many lines printed so far contain <paramref name="text"/>. Counts over all output, so it never goes down
    /// (counting in <see cref="Output"/> could: it keeps only the tail).
    /// </summary>
    public int CountLines(string text) => _lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    public static DotnetProcess Start(string dll, params string[] args) => StartWrapped([], dll, args);

    /// <summary>
    /// Starts the program through a wrapper command that execs it (e.g. <c>ip netns exec NAME</c>), so the process id
    /// is still the program's own.
    /// </summary>
    public static DotnetProcess StartWrapped(IReadOnlyList<string> wrapper, string dll, params string[] args)
    {
        var psi = new ProcessStartInfo(wrapper.Count > 0 ? wrapper[0] : "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (wrapper.Count > 0)
        {
            foreach (var w in wrapper.Skip(1))
            {
                psi.ArgumentList.Add(w);
            }

            psi.ArgumentList.Add("dotnet");
        }

        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.WorkingDirectory = Path.GetDirectoryName(dll)!;
        return new DotnetProcess(Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        lock (_all)
        {
            // The text keeps the tail only (for failure messages); the lines stay for counting.
            if (_all.Length > 200_000)
            {
                _all.Remove(0, 100_000);
            }

            _all.AppendLine(line);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

/// <summary>
/// The journal on a real, full file system: a 256 KiB tmpfs (a fake could not show what a real ENOSPC does to a
/// half-written record). Skipped, saying why, where tmpfs cannot be mounted (not root).
/// </summary>
public sealed class JournalDiskFullTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-journal-full-").FullName;
    private readonly bool _mounted;

    public JournalDiskFullTests()
    {
        _mounted = TinyDiskFactAttribute.Mount(_dir, "256k") is null;
    }

    public void Dispose()
    {
        if (_mounted)
        {
            TinyDiskFactAttribute.Run("umount", "-l", _dir);
        }

        Directory.Delete(_dir, recursive: true);
    }

    private Journal Open() => Journal.Open(
        new JournalSettings(_dir, 64 * 1024 * 1024, TimeSpan.FromDays(7), 8 * 1024, TimeSpan.FromMilliseconds(100), 64 * 1024),
        "bed-01",
        _time,
        () => _time.GetUtcNow(),
        new QueueLogger(_log));

    private static void AppendData(Journal j, long from, long to)
    {
        for (var s = from; s <= to; s++)
        {
            j.Append(RecordKind.Vitals, s, Start + TimeSpan.FromSeconds(10 * s), Encoding.UTF8.GetBytes($$"""{"v":1,"bed":"bed-01","seq":{{s}},"pad":"{{new string('x', 250)}}"}"""));
        }
    }

    private static List<JournalEntry> DrainAll(Journal j)
    {
        var all = new List<JournalEntry>();
        while (j.Next(replayAllowed: true, out _) is { } e)
        {
            all.Add(e);
            j.Acknowledge(e);
        }

        return all;
    }

    private static GapMessage Gap(JournalEntry e) => JsonSerializer.Deserialize(e.Payload.Span, SomnisJsonContext.Default.GapMessage)!;

    [TinyDiskFact]
    public void On_a_full_disk_the_oldest_data_goes_reported_as_a_disk_full_gap_and_nothing_else_is_lost()
    {
        const long N = 2000; // ~600 KiB of records on a 256 KiB disk, none acknowledged (the broker is unreachable)
        using (var j = Open())
        {
            AppendData(j, 1, N);
            j.Flush();

            Assert.Equal(0, j.WriteFailures);
            var all = DrainAll(j);
            var gaps = all.Where(e => e.Kind == RecordKind.Gap).Select(Gap).ToList();
            var kept = all.Where(e => e.IsData).Select(e => e.Seq).ToList();
            Assert.NotEmpty(gaps);
            Assert.All(gaps, g => Assert.Equal(GapReasons.DiskFull, g.Reason));
            Assert.All(gaps, g => Assert.Equal(Start + TimeSpan.FromSeconds(10 * g.FromSeq), g.FromTs));
            Assert.All(gaps, g => Assert.Equal(Start + TimeSpan.FromSeconds(10 * g.ToSeq), g.ToTs));
            // The oldest went: every dropped number is below every kept one, and together they are 1..N exactly once.
            Assert.True(gaps.Max(g => g.ToSeq) < kept.Min(), $"dropped up to {gaps.Max(g => g.ToSeq)}, kept from {kept.Min()}");
            var covered = gaps.SelectMany(g => Enumerable.Range((int)g.FromSeq, (int)(g.ToSeq - g.FromSeq + 1)).Select(i => (long)i)).Concat(kept).Order();
            Assert.Equal(Enumerable.Range(1, (int)N).Select(i => (long)i), covered);
            Assert.Equal(gaps.Sum(g => g.Count), j.Dropped);
            Assert.Contains(_log, l => l.Contains("journal: disk full; removed the oldest segment", StringComparison.Ordinal));
        }

        // Nothing torn was left behind: the journal reopens without a corruption report and with the whole count.
        using var again = Open();
        Assert.DoesNotContain(_log, l => l.Contains("corrupted", StringComparison.Ordinal));
        Assert.Equal(N, again.LastSequence);
        Assert.True(again.Dropped > 0);
    }

    [TinyDiskFact]
    public void Delivered_segments_make_room_first_so_a_connected_bed_loses_nothing()
    {
        using var j = Open();
        for (long s = 1; s <= 3000; s += 100)
        {
            // Connected: everything is acknowledged soon after it is written; the disk fills with delivered segments.
            AppendData(j, s, s + 99);
            j.Flush();
            Assert.All(DrainAll(j), e => Assert.True(e.IsData));
        }

        Assert.Equal(0, j.Dropped);
        Assert.Equal(0, j.WriteFailures);
        Assert.Contains(_log, l => l.Contains(", 0 undelivered message(s) among them", StringComparison.Ordinal));
        Assert.Equal(3000, j.LastSequence);
    }

    private sealed class QueueLogger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));
    }
}

/// <summary>A fact that needs a small tmpfs: skipped, saying why, where it cannot be mounted.</summary>
public sealed class TinyDiskFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public TinyDiskFactAttribute()
    {
        if (Unavailable.Value is { } why)
        {
            Skip = $"a real disk-full test needs a small tmpfs, which cannot be mounted here: {why}";
        }
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> on <paramref name="dir"/>; null when done, else why not.</summary>
    internal static string? Mount(string dir, string size) =>
        OperatingSystem.IsLinux() ? Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", dir) : "not Linux";

    internal static string? Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            _ = stdout.Result;
            return p.ExitCode == 0 ? null : $"{file} failed: {error.Trim()} (needs root, CAP_SYS_ADMIN)";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return ex.Message;
        }
    }

    private static string? Probe()
    {
        var dir = Directory.CreateTempSubdirectory("somnis-mount-probe-").FullName;
        try
        {
            var error = Mount(dir, "64k");
            if (error is null)
            {
                Run("umount", dir);
            }

            return error;
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}

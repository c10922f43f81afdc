using System.Diagnostics;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real, tiny file system (tmpfs of a given size) on a fresh directory, so a journal meets a genuine ENOSPC.
/// Mounting needs root (CAP_SYS_ADMIN); <see cref="Unavailable"/> says why a test using it is skipped. Unmounted
/// (lazily, should a process still hold a file) and removed on dispose, even after a failure.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private static readonly Lazy<string?> Probe = new(ProbeMount);

    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null when tmpfs can be mounted here, else the reason.</summary>
    public static string? Unavailable => Probe.Value;

    public static SmallDisk Mount(string size)
    {
        var dir = Directory.CreateTempSubdirectory("somnis-small-disk-").FullName;
        var (ok, error) = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", dir);
        if (!ok)
        {
            Directory.Delete(dir);
            throw new InvalidOperationException($"mount -t tmpfs failed: {error}");
        }

        return new SmallDisk(dir);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? ProbeMount()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        try
        {
            using var disk = Mount("64k");
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message + " (needs root, CAP_SYS_ADMIN)";
        }
    }

    private static (bool Ok, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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
            _ = stdout.Result;
            return (p.ExitCode == 0, stderr.Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, ex.Message);
        }
    }
}

/// <summary>A fact skipped, saying why, where a small tmpfs cannot be mounted (not root).</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.Unavailable is { } why)
        {
            Skip = $"a real disk-full test needs a small tmpfs, which cannot be mounted here: {why}";
        }
    }
}

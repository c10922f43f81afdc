using System.Runtime.InteropServices;
using System.Text;

namespace Somnis.Edge.Publishing;

/// <summary>
/// fsync of a directory, and the test for a full file system, for the journal.
/// <para>
/// <c>fsync</c> on a file makes its contents durable, not its name: after a power cut a segment file created (or a
/// state file renamed) just before can be missing from its directory, with its fsynced records, and a deleted one can
/// come back. POSIX makes the directory entry durable only with an <c>fsync</c> of the directory itself. .NET cannot
/// open a directory as a file, so on Linux this opens it with libc's <c>open(O_RDONLY)</c> and calls <c>fsync</c>.
/// The journal calls it only when a segment is created or deleted (and around the state write that must precede a
/// delete), never per record, so it costs a few fsyncs per segment (1 MiB by default).
/// </para>
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000; // O_CLOEXEC: the same value on x86-64 and arm64 (asm-generic)
    private const int NoSpace = 28;          // ENOSPC
    private const int QuotaExceeded = 122;   // EDQUOT
    private static int _unavailable;

    /// <summary>fsyncs <paramref name="directory"/> on Linux (elsewhere a no-op). Null when done, else why not.</summary>
    public static string? Sync(string directory)
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _unavailable) == 1)
        {
            return null;
        }

        try
        {
            var path = Encoding.UTF8.GetBytes(directory + "\0");
            var fd = Open(path, ReadOnly | CloseOnExec);
            if (fd < 0)
            {
                return $"open '{directory}' failed: errno {Marshal.GetLastPInvokeError()}";
            }

            try
            {
                return Fsync(fd) == 0 ? null : $"fsync '{directory}' failed: errno {Marshal.GetLastPInvokeError()}";
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): said once; records and the state stay fsynced, only names are at risk.
            Interlocked.Exchange(ref _unavailable, 1);
            return $"directory fsync unavailable ({ex.Message})";
        }
    }

    /// <summary>True when the write failed because the file system (or the user's quota) is full.</summary>
    public static bool IsDiskFull(IOException ex) =>
        // On Unix .NET puts the raw errno in HResult; on Windows ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL as HRESULT.
        ex.HResult is NoSpace or QuotaExceeded or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    [DllImport("libc.so.6", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc.so.6", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}

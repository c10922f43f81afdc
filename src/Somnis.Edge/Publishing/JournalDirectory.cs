namespace Somnis.Edge.Publishing;

/// <summary>
/// The journal's directory (<c>--journal</c>), made ready when the edge starts (a <see cref="StartupStep"/>), not while its
/// options are validated: created if missing, and proven writable with an fsynced probe file, so a read-only or full
/// mount stops the start naming the option instead of losing the first messages.
/// </summary>
internal static class JournalDirectory
{
    /// <summary>The step of <c>AddSomnisEdge()</c>: nothing to do without a journal.</summary>
    public static string? Prepare(EdgeOptions options) =>
        options.Journal is { Length: > 0 } dir && Problem(dir) is { } error
            ? $"--journal (Edge:Journal): directory '{dir}' is not writable: {error}"
            : null;

    /// <summary>Creates the directory and writes, fsyncs and deletes a probe file; the error text, or null when writable.</summary>
    internal static string? Problem(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, ".write-probe");
            using (var f = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                f.WriteByte(1);
                f.Flush(flushToDisk: true);
            }

            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return ex.Message;
        }
    }
}

using System.Buffers;
using System.Text.Json;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// The delivery checkpoint on disk (DATA/delivery.json, <see cref="DeliveryCheckpointFormat"/>): replaced whole by each
/// save (a temporary file written and fsynced, then renamed over it), so a crash leaves the previous save or the new
/// one, never a mix; read once at start. Not thread-safe: one save at a time (the tracker's checkpoint lock).
/// </summary>
internal sealed class DeliveryCheckpointFile(string path, ILogger logger)
{
    private const int InitialBufferBytes = 64 * 1024;

    // A facility with a very long night of gaps can make one file large; such a buffer is not kept for the next save.
    private const int MaxKeptBufferBytes = 16 * 1024 * 1024;

    private ArrayBufferWriter<byte> _file = new(InitialBufferBytes);

    public string Path => path;

    /// <summary>Writes the file from the beds' encoded entries (write, fsync, rename).</summary>
    public void Write(IReadOnlyList<byte[]> entries)
    {
        _file.ResetWrittenCount();
        DeliveryCheckpointFormat.Join(_file, entries);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            f.Write(_file.WrittenSpan);
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
        if (_file.Capacity > MaxKeptBufferBytes)
        {
            _file = new ArrayBufferWriter<byte>(InitialBufferBytes);
        }
    }

    /// <summary>
    /// The beds of the last save; none when there is no file. An unreadable file is moved aside
    /// (<c>delivery.json.corrupt</c>, for inspection) and logged, and none are returned: the hub must start, and its
    /// accounting starts again from nothing.
    /// </summary>
    public List<BedDeliveryState> Load()
    {
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            var beds = DeliveryCheckpointFormat.Decode(File.ReadAllBytes(path));
            Log.DeliveryStateLoaded(logger, beds.Count, path);
            return beds;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // By design: the hub must start; a broken file is kept aside for inspection and the accounting restarts.
            var aside = path + ".corrupt";
            File.Move(path, aside, overwrite: true);
            Log.DeliveryStateCorrupt(logger, path, aside, ex.Message);
            return [];
        }
    }
}

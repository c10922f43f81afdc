namespace Somnis.Hub.Alarms;

/// <summary>
/// Chatter detection (ISA-18.2, docs/alarms.md "States"): an alarm raised <see cref="AlarmOptions.ChatterCount"/> times
/// within <see cref="AlarmOptions.ChatterWindow"/> of its type's clock is chattering. Raise times are kept per facility,
/// bed and type across alarms, since a chattering condition opens and closes alarms. Not thread-safe: the engine calls
/// it under its lock.
/// </summary>
internal sealed class ChatterDetector
{
    private readonly Dictionary<AlarmKey, Queue<DateTimeOffset>> _raises = [];

    /// <summary>Records a raise at <paramref name="now"/>; returns how many raises of the key fall within the window ending
    /// then (this one included).</summary>
    public int Raised(AlarmKey key, DateTimeOffset now, TimeSpan window)
    {
        if (!_raises.TryGetValue(key, out var raises))
        {
            raises = _raises[key] = new Queue<DateTimeOffset>();
        }

        raises.Enqueue(now);
        while (raises.Count > 0 && raises.Peek() < now - window)
        {
            raises.Dequeue();
        }

        return raises.Count;
    }
}

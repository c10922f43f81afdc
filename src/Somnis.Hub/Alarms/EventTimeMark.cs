namespace Somnis.Hub.Alarms;

/// <summary>
/// The newest event time seen on one clock (a bed's or a facility's), advanced by many threads at once without a lock.
/// Times are kept as UTC instants: only their order matters to the alarm clocks.
/// </summary>
internal sealed class EventTimeMark
{
    private long _utcTicks = long.MinValue;

    /// <summary>The newest time seen; null before the first.</summary>
    public DateTimeOffset? Value => Volatile.Read(ref _utcTicks) is var t and not long.MinValue ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Moves the mark to <paramref name="time"/> if that is later; returns the mark after the move.</summary>
    public DateTimeOffset Advance(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var seen = Volatile.Read(ref _utcTicks);
        while (ticks > seen)
        {
            var was = Interlocked.CompareExchange(ref _utcTicks, ticks, seen);
            if (was == seen)
            {
                return new DateTimeOffset(ticks, TimeSpan.Zero);
            }

            seen = was;
        }

        return new DateTimeOffset(seen, TimeSpan.Zero);
    }
}

using System.Text.Json;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>
/// The journal's bounds and gap reports: the size bound and a full disk remove the oldest segment, the age bound the
/// oldest undelivered data. Whatever data a bound drops is counted, logged and journaled as a gap report (with its
/// sequence and event-time range); gap reports themselves are carried forward, never dropped. A record dropped while
/// in flight is reported only if its publish fails (<see cref="Failed"/>).
/// </summary>
internal sealed partial class Journal
{
    /// <summary>
    /// Disk full (called by the store's write): removes this bed's oldest segment (rolling first when the current one
    /// is all there is). Delivered records go without loss; undelivered ones are reported as a <c>disk-full</c> gap
    /// after the write.
    /// </summary>
    private void RemoveOldest()
    {
        if (_store.Segments.Count == 1)
        {
            Roll();
        }

        var oldest = _store.Oldest;
        var bytes = oldest.DiskBytes;
        var (carried, dropped) = RemoveSegment(oldest, GapReasons.DiskFull);
        (_madeRoom ??= []).Add((carried, dropped));
        Log.JournalDiskFull(_logger, _bed, bytes, dropped.Count);
    }

    private void EnforceSize()
    {
        while (_store.Bytes > _settings.MaxBytes && _store.Segments.Count > 1)
        {
            var (carried, dropped) = RemoveSegment(_store.Oldest, GapReasons.JournalFull);
            CarryAndReport(carried, dropped, GapReasons.JournalFull);
        }
    }

    /// <summary>
    /// Removes a segment and its pending records: returns the gap reports it held (to be carried forward) and the
    /// undelivered data records (to be reported). Records in flight are marked and reported only if their publish fails.
    /// </summary>
    private (List<JournalEntry> Carried, List<JournalEntry> Dropped) RemoveSegment(JournalSegment segment, string reason)
    {
        var dropped = new List<JournalEntry>();
        var carried = new List<JournalEntry>();
        foreach (var e in _queue.TakeSegment(segment))
        {
            if (e.Kind == RecordKind.Gap)
            {
                carried.Add(e);
            }
            else if (e.InFlight)
            {
                e.EvictedFor = reason;
            }
            else
            {
                dropped.Add(e);
            }
        }

        segment.Pending = 0;
        if (segment == _store.Current)
        {
            Roll();
        }

        if (_store.Segments.Contains(segment))
        {
            // (A memory segment left empty is already gone with the roll; a file may be gone to make room for the state.)
            _store.Delete(segment);
        }

        return (carried, dropped);
    }

    private void CarryAndReport(List<JournalEntry> carried, List<JournalEntry> dropped, string reason)
    {
        var now = _time.GetUtcNow();
        foreach (var gap in carried)
        {
            AppendLocked(RecordKind.Gap, 0, gap.EventTs, now, gap.Payload);
        }

        ReportDropped(dropped, reason);
    }

    private void EvictAged(DateTimeOffset now)
    {
        if (_queue.TakeDataAppendedBefore(now - _settings.MaxAge) is not { } taken)
        {
            return;
        }

        var aged = new List<JournalEntry>(taken.Count);
        foreach (var e in taken)
        {
            if (e.InFlight)
            {
                e.EvictedFor = GapReasons.JournalAge;
            }
            else
            {
                aged.Add(e);
            }

            Release(e);
        }

        ReportDropped(aged, GapReasons.JournalAge);
    }

    /// <summary>Counts, logs and journals a gap report for dropped data records (sequence numbers ascending).</summary>
    private void ReportDropped(List<JournalEntry> dropped, string reason)
    {
        if (dropped.Count == 0)
        {
            return;
        }

        var first = dropped[0];
        var last = dropped[^1];
        _dropped += dropped.Count;
        Log.JournalDropped(_logger, _bed, dropped.Count, first.Seq, last.Seq, first.EventTs, last.EventTs, reason);
        AppendGap(new GapMessage
        {
            Bed = _bed,
            Ts = _deviceNow(),
            FromSeq = first.Seq,
            ToSeq = last.Seq,
            Count = dropped.Count,
            FromTs = first.EventTs,
            ToTs = last.EventTs,
            Reason = reason,
        });
    }

    private void AppendGap(GapMessage gap) =>
        AppendLocked(RecordKind.Gap, 0, gap.Ts, _time.GetUtcNow(), JsonSerializer.SerializeToUtf8Bytes(gap, SomnisJsonContext.Default.GapMessage));
}

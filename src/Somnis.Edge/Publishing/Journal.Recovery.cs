using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>The journal's start: what an earlier run left, read by <see cref="JournalRecovery"/> and acted on here.</summary>
internal sealed partial class Journal
{
    /// <summary>Reads what an earlier run left (<see cref="JournalRecovery"/>) and continues from it.</summary>
    private void Recover()
    {
        var (state, found) = _store.Load();
        var recovery = new JournalRecovery(state);
        foreach (var segment in found)
        {
            recovery.Read(Path.GetFileName(segment.File!), _store.ReadAll(segment));
        }

        var r = recovery.Finish();
        (_nextIndex, _lastSeq, _lastEventTs, _dropped) = (r.NextIndex, r.LastSeq, r.LastEventTs, r.Dropped);
        foreach (var s in r.Skipped)
        {
            Log.JournalCorruptNoLoss(_logger, _bed, s.Segment, s.Regions, s.Bytes);
        }

        if (!r.Corrupted)
        {
            // Intact: the files stay as they are (delivered records remain available for a resend); the undelivered
            // ones are pending again, and new records go to a fresh segment.
            for (var i = 0; i < found.Count; i++)
            {
                (found[i].Bytes, found[i].DiskBytes, found[i].MinSeq, found[i].MaxSeq) = (r.Segments[i].Bytes, r.Segments[i].Bytes, r.Segments[i].MinSeq, r.Segments[i].MaxSeq);
                _store.Adopt(found[i]);
            }

            foreach (var (e, segment) in r.Survivors)
            {
                e.Segment = found[segment];
                found[segment].Pending++;
                _queue.Add(e);
            }

            _store.Roll(_nextIndex);
            Resume();
            if (found.Count > 0)
            {
                Log.JournalRecovered(_logger, _bed, r.Survivors.Count, _lastSeq);
            }

            _store.SaveState();
            EnforceSize();
            return;
        }

        // Corrupted: the survivors are compacted into a fresh segment and fsynced before the old files go (a crash in
        // between only duplicates them, and duplicates are dropped above and at the hub), so a corruption is reported once.
        _store.Roll(_nextIndex);
        foreach (var (e, _) in r.Survivors)
        {
            AppendLocked(e.Kind, e.Seq, e.EventTs, e.AppendedAt, e.Payload);
        }

        foreach (var lost in r.Lost)
        {
            _dropped += lost.Count;
            Log.JournalCorrupt(_logger, _bed, lost.Segment, lost.Regions, lost.Bytes, lost.Count, lost.FromSeq, lost.ToSeq);
            AppendGap(new GapMessage { Bed = _bed, Ts = _deviceNow(), FromSeq = lost.FromSeq, ToSeq = lost.ToSeq, Count = lost.Count, Reason = GapReasons.JournalCorrupt });
        }

        FlushLocked();
        Resume();
        if (_store.SaveState())
        {
            // Only once the state covers the lost range: else the next start reads (and reports) the old files again.
            _store.DeleteLoaded(found);
        }

        Log.JournalRecovered(_logger, _bed, r.Survivors.Count, _lastSeq);
        EnforceSize();
    }

    /// <summary>After recovery: everything recovered is durable backlog, and what comes next is live.</summary>
    private void Resume()
    {
        _queue.DurableBelow = _nextIndex;
        _queue.MarkReconnected(_nextIndex);
    }
}

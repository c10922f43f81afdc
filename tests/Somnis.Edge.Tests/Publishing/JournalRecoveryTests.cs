using System.Text;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

/// <summary>The start-up read on its own: byte fixtures in, survivors and losses out.</summary>
public sealed class JournalRecoveryTests
{
    private static RecoveryResult Recover(JournalState state, params (string Name, byte[] Data)[] segments)
    {
        var recovery = new JournalRecovery(state);
        foreach (var (name, data) in segments)
        {
            recovery.Read(name, data);
        }

        return recovery.Finish();
    }

    private static RecoveryResult Recover(string fixture) => Recover(JournalState.Empty, (fixture, Fixtures.Segment(fixture)));

    private static byte[] Vitals(long seq, long index) => JournalCodec.Encode(new JournalEntry
    {
        Kind = RecordKind.Vitals,
        Index = index,
        Seq = seq,
        EventTs = Fixtures.Start.AddSeconds(10 * seq),
        AppendedAt = Fixtures.Start,
        Payload = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}}}"""),
    });

    [Fact]
    public void An_intact_segment_gives_back_every_record_and_where_to_continue()
    {
        var r = Recover("intact.seg");

        Assert.False(r.Corrupted);
        Assert.Empty(r.Lost);
        Assert.Empty(r.Skipped);
        Assert.Equal([1L, 2L, 3L, 4L], r.Survivors.Select(s => s.Entry.Index));
        Assert.All(r.Survivors, s => Assert.Equal(0, s.Segment));
        Assert.Equal((5L, 3L, Fixtures.Start.AddSeconds(30)), (r.NextIndex, r.LastSeq, r.LastEventTs));
        Assert.Equal(new RecoveredSegment(Fixtures.Segment("intact.seg").Length, 1, 3), r.Segments.Single());
    }

    [Fact]
    public void Records_below_the_acknowledged_watermark_were_delivered_and_the_state_carries_over()
    {
        var state = new JournalState(AckedBelow: 3, NextIndex: 9, LastSeq: 7, LastEventTs: Fixtures.Start.AddHours(1), Dropped: 2);
        var r = Recover(state, ("intact.seg", Fixtures.Segment("intact.seg")));

        Assert.Equal([3L, 4L], r.Survivors.Select(s => s.Entry.Index));
        // The state saw more than the segment holds (its later records were delivered and their segment deleted).
        Assert.Equal((9L, 7L, Fixtures.Start.AddHours(1), 2L), (r.NextIndex, r.LastSeq, r.LastEventTs, r.Dropped));
    }

    [Fact]
    public void A_record_with_a_bad_checksum_is_skipped_and_its_number_reported_lost()
    {
        var r = Recover("bad-checksum.seg");

        Assert.True(r.Corrupted);
        Assert.Equal([1L, 2L, 4L, 5L], r.Survivors.Select(s => s.Entry.Seq));
        var lost = Assert.Single(r.Lost);
        // The region is exactly the damaged record (the five records are of equal size).
        Assert.Equal(new LostRange(3, 3, "bad-checksum.seg", 1, Fixtures.Segment("bad-checksum.seg").Length / 5), lost);
        Assert.Equal(5, r.LastSeq);
    }

    [Fact]
    public void A_torn_tail_held_at_least_one_record()
    {
        var r = Recover("torn-tail.seg");

        Assert.True(r.Corrupted);
        Assert.Equal([1L, 2L, 3L], r.Survivors.Select(s => s.Entry.Seq));
        Assert.Equal(new LostRange(4, 4, "torn-tail.seg", 1, 20), Assert.Single(r.Lost));
        Assert.Equal(4, r.LastSeq);
    }

    [Fact]
    public void A_torn_tail_held_everything_up_to_the_last_number_the_state_saw()
    {
        var state = JournalState.Empty with { LastSeq = 6 };
        var r = Recover(state, ("torn-tail.seg", Fixtures.Segment("torn-tail.seg")));

        Assert.Equal((4L, 6L), (r.Lost.Single().FromSeq, r.Lost.Single().ToSeq));
        Assert.Equal(6, r.LastSeq);
    }

    [Fact]
    public void Garbage_between_consecutive_records_is_skipped_without_a_loss()
    {
        var r = Recover("garbage-no-loss.seg");

        Assert.True(r.Corrupted);
        Assert.Empty(r.Lost);
        Assert.Equal(new SkippedRegion("garbage-no-loss.seg", 1, 16), Assert.Single(r.Skipped));
        Assert.Equal([1L, 2L], r.Survivors.Select(s => s.Entry.Seq));
    }

    [Fact]
    public void A_damaged_end_of_one_segment_is_counted_up_to_the_first_record_of_the_next()
    {
        // Segment 1 ends torn inside seq 4; segment 2 (a later file) starts with seq 6: 4 and 5 were lost.
        var r = Recover(JournalState.Empty, ("a.seg", Fixtures.Segment("torn-tail.seg")), ("b.seg", Vitals(6, 6)));

        Assert.Equal(new LostRange(4, 5, "a.seg", 1, 20), Assert.Single(r.Lost));
        Assert.Equal([0, 0, 0, 1], r.Survivors.Select(s => s.Segment));
        Assert.Equal(6, r.LastSeq);
    }

    [Fact]
    public void A_data_record_found_twice_is_delivered_once()
    {
        // A crash during an earlier compaction: the survivors were written again before the old file went.
        var r = Recover(JournalState.Empty, ("old.seg", [.. Vitals(1, 1), .. Vitals(2, 2)]), ("new.seg", [.. Vitals(1, 3), .. Vitals(2, 4), .. Vitals(3, 5)]));

        Assert.False(r.Corrupted);
        Assert.Equal([1L, 2L, 3L], r.Survivors.Select(s => s.Entry.Seq));
        Assert.Equal(6, r.NextIndex);
        Assert.Equal([new RecoveredSegment(2 * Vitals(1, 1).Length, 1, 2), new RecoveredSegment(3 * Vitals(1, 1).Length, 1, 3)], r.Segments);
    }

    [Fact]
    public void Nothing_to_read_continues_from_the_state()
    {
        var r = Recover(new JournalState(4, 12, 11, null, 0));
        Assert.Equal((12L, 11L, false), (r.NextIndex, r.LastSeq, r.Corrupted));
        Assert.Empty(r.Survivors);
    }
}

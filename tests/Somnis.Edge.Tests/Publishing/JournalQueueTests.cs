using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class JournalQueueTests
{
    private readonly JournalQueue _queue = new();
    private readonly JournalSegment _first = new(1, file: null);
    private readonly JournalSegment _second = new(4, file: null);

    private JournalEntry Add(long index, RecordKind kind = RecordKind.Vitals, JournalSegment? segment = null, int appendedSecond = 0)
    {
        var e = new JournalEntry
        {
            Index = index,
            Kind = kind,
            Seq = kind == RecordKind.Gap ? 0 : index,
            EventTs = Fixtures.Start.AddSeconds(10 * index),
            AppendedAt = Fixtures.Start.AddSeconds(appendedSecond),
            Payload = Array.Empty<byte>(),
            Segment = segment ?? _first,
        };
        _queue.Add(e);
        return e;
    }

    [Fact]
    public void Only_durable_records_are_handed_out_and_each_only_once_while_in_flight()
    {
        Add(1);
        Add(2);
        Assert.Null(_queue.Next(replayAllowed: true, out _));

        _queue.DurableBelow = 2;
        var first = _queue.Next(replayAllowed: true, out var isReplay)!;
        Assert.Equal((1L, false), (first.Index, isReplay));
        Assert.Null(_queue.Next(replayAllowed: true, out _));
        _queue.DurableBelow = 3;
        Assert.Equal(2, _queue.Next(replayAllowed: true, out _)!.Index);
    }

    [Fact]
    public void After_a_reconnect_live_records_never_wait_behind_the_backlog()
    {
        Add(1);
        Add(2);
        _queue.MarkReconnected(nextIndex: 3);
        Add(3);
        _queue.DurableBelow = 4;

        Assert.True(_queue.HasBacklog);
        Assert.Equal(3, _queue.Next(replayAllowed: false, out var isReplay)!.Index);
        Assert.False(isReplay);
        Assert.Null(_queue.Next(replayAllowed: false, out _));
        Assert.Equal(1, _queue.Next(replayAllowed: true, out isReplay)!.Index);
        Assert.True(isReplay);
    }

    [Fact]
    public void Removing_the_first_live_record_moves_the_live_start_on()
    {
        Add(1);
        _queue.MarkReconnected(nextIndex: 2);
        var live = Add(2);
        Add(3);
        _queue.DurableBelow = 4;
        _queue.Remove(live);

        Assert.Null(live.Node);
        Assert.Equal(3, _queue.Next(replayAllowed: false, out _)!.Index);
    }

    [Fact]
    public void Aged_data_is_taken_out_but_gap_reports_stay()
    {
        Add(1, appendedSecond: 0);
        Add(2, RecordKind.Gap, appendedSecond: 1);
        Add(3, appendedSecond: 2);
        Add(4, appendedSecond: 9);

        var aged = _queue.TakeDataAppendedBefore(Fixtures.Start.AddSeconds(5))!;
        Assert.Equal([1L, 3L], aged.Select(e => e.Index));
        Assert.Equal(2, _queue.Count);
        Assert.Equal(2, _queue.Oldest!.Index);
        Assert.Null(_queue.TakeDataAppendedBefore(Fixtures.Start.AddSeconds(5)));
    }

    [Fact]
    public void Taking_a_segment_takes_its_records_at_the_head_of_the_queue()
    {
        Add(1);
        Add(2);
        Add(4, segment: _second);

        Assert.Equal([1L, 2L], _queue.TakeSegment(_first).Select(e => e.Index));
        Assert.Equal(4, _queue.Oldest!.Index);
        Assert.Empty(_queue.TakeSegment(_first));
    }

    [Fact]
    public void Held_records_are_those_appended_before_the_limit()
    {
        Add(1, appendedSecond: 0);
        Add(2, appendedSecond: 3);
        Add(3, appendedSecond: 8);

        Assert.Equal((2L, (DateTimeOffset?)Fixtures.Start.AddSeconds(10)), _queue.AppendedBefore(Fixtures.Start.AddSeconds(3)));
        Assert.Equal((0L, (DateTimeOffset?)null), new JournalQueue().AppendedBefore(Fixtures.Start));
    }
}

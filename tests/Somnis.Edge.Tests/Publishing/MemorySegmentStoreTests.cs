using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class MemorySegmentStoreTests
{
    private readonly MemorySegmentStore _store = new();

    [Fact]
    public void Nothing_survives_and_nothing_waits_for_a_flush()
    {
        var (state, found) = _store.Load();
        Assert.Equal(JournalState.Empty, state);
        Assert.Empty(found);
        Assert.False(_store.NeedsFlush);
        Assert.Equal("memory", _store.Kind);
        Assert.True(_store.SaveState());
    }

    [Fact]
    public void Records_are_counted_in_the_current_segment_as_they_would_be_on_disk()
    {
        _store.Roll(1);
        var entry = new JournalEntry { Kind = RecordKind.Vitals, Index = 1, Seq = 3, EventTs = Fixtures.Start, AppendedAt = Fixtures.Start, Payload = new byte[20] };
        _store.Write(entry, () => throw new InvalidOperationException("memory is never full"));

        Assert.Same(_store.Current, entry.Segment);
        var size = JournalCodec.SizeOf(20);
        Assert.Equal((size, 1, 3L, 3L), (_store.Current.Bytes, _store.Current.Pending, _store.Current.MinSeq, _store.Current.MaxSeq));
        Assert.Equal(size, _store.Bytes);
        Assert.False(_store.Current.KeptWhenDelivered);
    }

    [Fact]
    public void Delivered_records_are_not_kept_so_a_resend_finds_nothing()
    {
        _store.Roll(1);
        _store.Write(new JournalEntry { Kind = RecordKind.Vitals, Index = 1, Seq = 1, EventTs = Fixtures.Start, AppendedAt = Fixtures.Start, Payload = new byte[4] }, () => { });
        var old = _store.Roll(2)!;
        _store.Delete(old);

        Assert.Empty(_store.ReadDelivered(1, 1));
        Assert.Equal(0, _store.Bytes);
        Assert.Equal(2, _store.Oldest.FirstIndex);
    }
}

using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class FileSegmentStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-segments-").FullName;
    private readonly FakeTimeProvider _time = new(Fixtures.Start);
    private readonly FileSegmentStore _store;
    private JournalState _state = new(1, 1, 0, null, 0);

    public FileSegmentStoreTests()
    {
        _store = new FileSegmentStore(_dir, "bed-01", _time, () => _state, NullLogger.Instance);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static JournalEntry Entry(long index, long seq) => new()
    {
        Kind = RecordKind.Vitals,
        Index = index,
        Seq = seq,
        EventTs = Fixtures.Start.AddSeconds(10 * seq),
        AppendedAt = Fixtures.Start,
        Payload = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}}}"""),
    };

    private static string Name(long firstIndex) => $"{firstIndex:D20}.seg";

    [Fact]
    public void Load_finds_the_segments_oldest_first_and_removes_empty_ones()
    {
        File.WriteAllBytes(Path.Combine(_dir, Name(12)), Fixtures.Segment("torn-tail.seg"));
        File.WriteAllBytes(Path.Combine(_dir, Name(1)), Fixtures.Segment("intact.seg"));
        File.WriteAllBytes(Path.Combine(_dir, Name(20)), []);
        File.WriteAllText(Path.Combine(_dir, "notes.seg"), "not a segment name");
        File.WriteAllText(Path.Combine(_dir, "state"), "v1 3 9 7 0 2");

        var (state, found) = _store.Load();

        Assert.Equal(new JournalState(3, 9, 7, null, 2), state);
        Assert.Equal([1L, 12L], found.Select(s => s.FirstIndex));
        Assert.All(found, s => Assert.True(s.KeptWhenDelivered));
        Assert.Equal(Fixtures.Segment("intact.seg"), _store.ReadAll(found[0]));
        Assert.False(File.Exists(Path.Combine(_dir, Name(20))));
        Assert.Empty(_store.Segments);
    }

    [Fact]
    public void A_record_is_written_to_the_current_segment_file_exactly_as_encoded_and_counted_there()
    {
        Assert.Null(_store.Roll(1));
        var entry = Entry(1, 7);
        _store.Write(entry, () => throw new InvalidOperationException("the disk is not full"));
        _store.Flush();

        var segment = _store.Current;
        Assert.Same(segment, entry.Segment);
        Assert.Equal(JournalCodec.Encode(entry), File.ReadAllBytes(Path.Combine(_dir, Name(1))));
        var size = JournalCodec.Encode(entry).Length;
        Assert.Equal((size, size, 1, 7L, 7L), (segment.Bytes, segment.DiskBytes, segment.Pending, segment.MinSeq, segment.MaxSeq));
        Assert.Equal(size, _store.Bytes);
        Assert.Equal(0, _store.WriteFailures);
    }

    [Fact]
    public void A_roll_starts_a_file_named_after_its_first_index()
    {
        _store.Roll(1);
        _store.Write(Entry(1, 1), () => { });
        var previous = _store.Roll(2);

        Assert.Equal(1, previous!.FirstIndex);
        Assert.Equal([1L, 2L], _store.Segments.Select(s => s.FirstIndex));
        Assert.True(File.Exists(Path.Combine(_dir, Name(2))));
    }

    [Fact]
    public void Deleting_a_segment_saves_the_state_that_covers_its_numbers()
    {
        _store.Roll(1);
        _store.Write(Entry(1, 5), () => { });
        var old = _store.Current;
        _store.Roll(2);
        _state = new JournalState(2, 2, 5, Fixtures.Start.AddSeconds(50), 0);

        _store.Delete(old);

        Assert.False(File.Exists(Path.Combine(_dir, Name(1))));
        Assert.Equal(_state.Format(), File.ReadAllText(Path.Combine(_dir, "state")));
        Assert.Equal(0, _store.Bytes);
        Assert.Equal([2L], _store.Segments.Select(s => s.FirstIndex));
    }

    [Fact]
    public void Delivered_records_are_read_back_from_kept_segments_for_a_resend()
    {
        _store.Roll(1);
        for (var seq = 1; seq <= 3; seq++)
        {
            _store.Write(Entry(seq, seq), () => { });
        }

        _store.Roll(4);
        _store.Write(Entry(4, 4), () => { });

        Assert.Equal([2L, 3L, 4L], _store.ReadDelivered(2, 9).Select(e => e.Seq));
        Assert.Empty(_store.ReadDelivered(5, 9));
    }

    [Fact]
    public void The_state_is_saved_when_it_changed_and_at_most_once_a_second()
    {
        _store.Roll(1);
        var path = Path.Combine(_dir, "state");
        _store.SaveStateIfDue(_time.GetUtcNow());
        Assert.False(File.Exists(path), "nothing changed");

        _store.StateChanged();
        _store.SaveStateIfDue(_time.GetUtcNow());
        Assert.Equal("v1 1 1 0 0 0", File.ReadAllText(path));

        _state = _state with { LastSeq = 9 };
        _store.StateChanged();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _store.SaveStateIfDue(_time.GetUtcNow());
        Assert.Equal("v1 1 1 0 0 0", File.ReadAllText(path));
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _store.SaveStateIfDue(_time.GetUtcNow());
        Assert.Equal("v1 1 1 9 0 0", File.ReadAllText(path));
    }
}

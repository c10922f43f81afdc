using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

public sealed class JournalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly LineLogger _log = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-journal-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private JournalSettings Settings(string? dir = "", long maxBytes = 1024 * 1024, long segmentBytes = 64 * 1024, TimeSpan? maxAge = null) =>
        new(dir == "" ? _dir : dir, maxBytes, maxAge ?? TimeSpan.FromDays(7), segmentBytes, TimeSpan.FromMilliseconds(100), 64 * 1024);

    private Journal Open(JournalSettings settings) => Journal.Open(settings, "bed-01", _time, () => _time.GetUtcNow(), _log);

    private static byte[] Payload(long seq) => Encoding.UTF8.GetBytes($$"""{"v":1,"bed":"bed-01","seq":{{seq}},"pad":"{{new string('x', 200)}}"}""");

    private static void AppendData(Journal j, long from, long to)
    {
        for (var s = from; s <= to; s++)
        {
            j.Append(RecordKind.Vitals, s, Start + TimeSpan.FromSeconds(10 * s), Payload(s));
        }
    }

    /// <summary>Takes everything publishable (backlog first), acknowledging each.</summary>
    private static List<JournalEntry> DrainAll(Journal j, bool ack = true)
    {
        var all = new List<JournalEntry>();
        while (j.Next(replayAllowed: true, out _) is { } e)
        {
            all.Add(e);
            if (ack)
            {
                j.Acknowledge(e);
            }
            else
            {
                j.Failed(e);
                break;
            }
        }

        return all;
    }

    private static GapMessage Gap(JournalEntry e) => JsonSerializer.Deserialize(e.Payload.Span, SomnisJsonContext.Default.GapMessage)!;

    [Fact]
    public void Records_are_published_only_after_fsync_and_leave_only_when_acknowledged()
    {
        using var j = Open(Settings());
        AppendData(j, 1, 3);
        Assert.Null(j.Next(replayAllowed: true, out _));
        Assert.True(j.Flush());

        var first = j.Next(replayAllowed: true, out _)!;
        Assert.Equal(1, first.Seq);
        // A publish window: the next call hands out the next record not already in flight.
        var second = j.Next(replayAllowed: true, out _)!;
        Assert.Equal(2, second.Seq);
        j.Failed(first);
        j.Failed(second);
        Assert.Equal(1, j.Next(replayAllowed: true, out _)!.Seq);
        j.Acknowledge(first);
        Assert.Equal(2, j.Backlog);
        Assert.Equal([2L, 3L], DrainAll(j).Select(e => e.Seq));
        Assert.Equal(0, j.Backlog);
    }

    [Fact]
    public void After_a_reconnect_the_backlog_is_replayed_in_order_and_live_data_interleaves()
    {
        using var j = Open(Settings(dir: null));
        AppendData(j, 1, 5);
        j.MarkReconnected();
        AppendData(j, 6, 7);

        Assert.True(j.HasBacklog);
        var live = j.Next(replayAllowed: false, out var isReplay)!;
        Assert.False(isReplay);
        Assert.Equal(6, live.Seq);
        j.Acknowledge(live);
        var replay = j.Next(replayAllowed: true, out isReplay)!;
        Assert.True(isReplay);
        Assert.Equal(1, replay.Seq);
        j.Acknowledge(replay);
        Assert.Equal([2L, 3L, 4L, 5L, 7L], DrainAll(j).Select(e => e.Seq));
        Assert.False(j.HasBacklog);
    }

    [Fact]
    public void A_reopened_journal_replays_what_was_not_acknowledged_and_continues_the_sequence()
    {
        using (var j = Open(Settings()))
        {
            AppendData(j, 1, 10);
            j.Flush();
            for (var i = 0; i < 4; i++)
            {
                j.Acknowledge(j.Next(true, out _)!);
            }
        }

        using var again = Open(Settings());
        Assert.Equal(10, again.LastSequence);
        Assert.Equal(Start + TimeSpan.FromSeconds(100), again.LastEventTime);
        Assert.Equal([5L, 6L, 7L, 8L, 9L, 10L], DrainAll(again).Select(e => e.Seq));
        Assert.Equal(0, again.Dropped);
    }

    [Fact]
    public void After_a_crash_without_shutdown_every_written_record_is_still_there()
    {
        var crashed = Open(Settings());
        AppendData(j: crashed, 1, 6);
        // No flush, no dispose: the process "dies" here; the records are in the OS already.
        using var again = Open(Settings());
        Assert.Equal(6, again.LastSequence);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], DrainAll(again).Select(e => e.Seq));
        crashed.Dispose();
    }

    [Fact]
    public void A_record_with_a_bad_checksum_is_skipped_logged_with_its_range_and_reported_as_a_gap()
    {
        using (var j = Open(Settings()))
        {
            AppendData(j, 1, 10);
        }

        var segment = Directory.GetFiles(_dir, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        var recordSize = bytes.Length / 10;
        bytes[(4 * recordSize) + 100] ^= 0xFF; // inside the payload of seq 5
        File.WriteAllBytes(segment, bytes);

        using var again = Open(Settings());
        var all = DrainAll(again);
        Assert.Equal([1L, 2L, 3L, 4L, 6L, 7L, 8L, 9L, 10L], all.Where(e => e.IsData).Select(e => e.Seq));
        var gap = Gap(all.Single(e => e.Kind == RecordKind.Gap));
        Assert.Equal((5L, 5L, 1L, GapReasons.JournalCorrupt), (gap.FromSeq, gap.ToSeq, gap.Count, gap.Reason));
        Assert.Contains(_log.Lines, l => l.Contains("1 record(s) lost, sequence 5-5", StringComparison.Ordinal));
        Assert.Equal(1, again.Dropped);

        // Reported once: the journal was compacted, a second start finds nothing wrong.
        again.Dispose();
        using var third = Open(Settings());
        Assert.Equal(1, _log.Lines.Count(l => l.Contains("record(s) lost", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_torn_tail_is_reported_as_a_gap_and_its_sequence_number_is_never_reused()
    {
        using (var j = Open(Settings()))
        {
            AppendData(j, 1, 10);
        }

        var segment = Directory.GetFiles(_dir, "*.seg").Single();
        var length = new FileInfo(segment).Length;
        using (var f = new FileStream(segment, FileMode.Open))
        {
            f.SetLength(length - 50);
        }

        using var again = Open(Settings());
        Assert.Equal(10, again.LastSequence);
        var all = DrainAll(again);
        Assert.Equal(9, all.Count(e => e.IsData));
        var gap = Gap(all.Single(e => e.Kind == RecordKind.Gap));
        Assert.Equal((10L, 10L), (gap.FromSeq, gap.ToSeq));
        Assert.Contains(_log.Lines, l => l.Contains("1 record(s) lost, sequence 10-10", StringComparison.Ordinal));
    }

    [Fact]
    public void Reaching_the_size_bound_drops_the_oldest_data_and_reports_exactly_that_range()
    {
        using var j = Open(Settings(maxBytes: 64 * 1024, segmentBytes: 8 * 1024));
        AppendData(j, 1, 400);
        j.Flush();

        Assert.True(j.Bytes <= 64 * 1024, $"{j.Bytes} bytes");
        var all = DrainAll(j);
        var gaps = all.Where(e => e.Kind == RecordKind.Gap).Select(Gap).ToList();
        var kept = all.Where(e => e.IsData).Select(e => e.Seq).ToList();
        Assert.NotEmpty(gaps);
        Assert.All(gaps, g => Assert.Equal(GapReasons.JournalFull, g.Reason));
        // Gaps and kept data together cover 1..400 exactly once, and the drop count matches.
        var covered = gaps.SelectMany(g => Enumerable.Range((int)g.FromSeq, (int)(g.ToSeq - g.FromSeq + 1)).Select(i => (long)i)).Concat(kept).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), covered);
        Assert.Equal(gaps.Sum(g => g.Count), j.Dropped);
        Assert.Equal(400 - kept.Count, j.Dropped);
    }

    [Fact]
    public void Data_older_than_the_age_bound_is_dropped_and_reported()
    {
        using var j = Open(Settings(dir: null, maxAge: TimeSpan.FromHours(1)));
        AppendData(j, 1, 3);
        _time.Advance(TimeSpan.FromMinutes(61));
        AppendData(j, 4, 4);

        var all = DrainAll(j);
        Assert.Equal([4L], all.Where(e => e.IsData).Select(e => e.Seq));
        var gap = Gap(all.Single(e => e.Kind == RecordKind.Gap));
        Assert.Equal((1L, 3L, 3L, GapReasons.JournalAge), (gap.FromSeq, gap.ToSeq, gap.Count, gap.Reason));
        Assert.Equal(Start + TimeSpan.FromSeconds(10), gap.FromTs);
        Assert.Equal(Start + TimeSpan.FromSeconds(30), gap.ToTs);
    }

    [Fact]
    public void A_message_dropped_while_in_flight_is_reported_only_if_its_publish_fails()
    {
        using var j = Open(Settings(dir: null, maxAge: TimeSpan.FromHours(1)));
        AppendData(j, 1, 2);
        var inFlight = j.Next(true, out _)!;
        _time.Advance(TimeSpan.FromMinutes(61));
        j.Flush();
        // seq 2 was dropped and reported; seq 1 was on its way.
        Assert.Equal(1, j.Dropped);
        j.Failed(inFlight);
        Assert.Equal(2, j.Dropped);
        var gaps = DrainAll(j).Select(Gap).ToList();
        Assert.Equal([(2L, 2L), (1L, 1L)], gaps.Select(g => (g.FromSeq, g.ToSeq)));
    }

    [Fact]
    public void A_resend_republishes_delivered_records_and_reports_what_is_no_longer_held()
    {
        using var j = Open(Settings(maxBytes: 64 * 1024, segmentBytes: 8 * 1024));
        AppendData(j, 1, 400);
        j.Flush();
        DrainAll(j);
        Assert.Equal(0, j.Backlog);

        var (resent, notRetained) = j.Resend(390, 400);
        Assert.Equal((11, 0L), (resent, notRetained));
        j.Flush();
        Assert.Equal(Enumerable.Range(390, 11).Select(i => (long)i), DrainAll(j).Select(e => e.Seq));

        // The oldest delivered segments were dropped by the size bound: those numbers are answered with a gap.
        (resent, notRetained) = j.Resend(1, 3);
        Assert.Equal((0, 3L), (resent, notRetained));
        j.Flush();
        var gap = Gap(DrainAll(j).Single());
        Assert.Equal((1L, 3L, GapReasons.NotRetained), (gap.FromSeq, gap.ToSeq, gap.Reason));
    }

    [Fact]
    public void A_memory_journal_and_a_disk_journal_hand_out_the_same_records_and_gaps()
    {
        // The same traffic through both stores: an outage long enough for both bounds, a reconnect, replay and live
        // data interleaved.
        var runs = new[] { Settings(dir: null, maxBytes: 32 * 1024, segmentBytes: 8 * 1024, maxAge: TimeSpan.FromHours(1)), Settings(maxBytes: 32 * 1024, segmentBytes: 8 * 1024, maxAge: TimeSpan.FromHours(1)) }
            .Select(settings =>
            {
                var time = new FakeTimeProvider(Start);
                using var j = Journal.Open(settings, "bed-01", time, () => time.GetUtcNow(), _log);
                AppendData(j, 1, 100);
                time.Advance(TimeSpan.FromMinutes(30));
                AppendData(j, 101, 200);
                time.Advance(TimeSpan.FromMinutes(65));
                AppendData(j, 201, 230);
                j.MarkReconnected();
                AppendData(j, 231, 240);
                j.Flush();
                var bytes = j.Bytes;
                var handed = new List<string>();
                for (var i = 0; (j.Next(replayAllowed: i % 2 == 0, out var isReplay) ?? j.Next(replayAllowed: true, out isReplay)) is { } e; i++)
                {
                    handed.Add(e.IsData ? $"{e.Seq}{(isReplay ? "r" : "")}" : $"gap {Gap(e).FromSeq}-{Gap(e).ToSeq} {Gap(e).Reason}");
                    j.Acknowledge(e);
                }

                return (handed, bytes, j.Dropped, j.Backlog);
            })
            .ToList();

        Assert.Contains(runs[0].handed, h => h.Contains(GapReasons.JournalFull, StringComparison.Ordinal));
        Assert.Contains(runs[0].handed, h => h.Contains(GapReasons.JournalAge, StringComparison.Ordinal));
        Assert.Equal(runs[0].handed, runs[1].handed);
        Assert.Equal((runs[0].bytes, runs[0].Dropped, runs[0].Backlog), (runs[1].bytes, runs[1].Dropped, runs[1].Backlog));
    }

    [Fact]
    public void The_journal_directory_can_be_fsynced_so_segment_names_are_durable()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(DirectorySync.Sync(_dir));
            return;
        }

        // Really calls open + fsync: a directory that is not there is an error (errno 2), an existing one is fsynced.
        Assert.Null(DirectorySync.Sync(_dir));
        Assert.Contains("errno 2", DirectorySync.Sync(Path.Combine(_dir, "missing")), StringComparison.Ordinal);
        using (var j = Open(Settings(segmentBytes: 4096)))
        {
            AppendData(j, 1, 100);
        }

        Assert.DoesNotContain(_log.Lines, l => l.Contains("records stay fsynced", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unwritable_journal_directory_stops_the_start_naming_the_option()
    {
        var file = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(file, "x");
        var options = new EdgeOptions { Journal = Path.Combine(file, "journal") };

        // Validation does not touch the disk; the journal's start-up step does, and names the option.
        Assert.True(new EdgeOptionsValidator().Validate(null, options).Succeeded);
        var problem = JournalDirectory.Prepare(options);
        Assert.NotNull(problem);
        Assert.StartsWith("--journal (Edge:Journal): directory '", problem, StringComparison.Ordinal);
        Assert.Contains("is not writable", problem, StringComparison.Ordinal);
    }

    private sealed class LineLogger : ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}

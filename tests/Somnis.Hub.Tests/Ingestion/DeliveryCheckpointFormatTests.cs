using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class DeliveryCheckpointFormatTests
{
    /// <summary>A checkpoint written by the hub before the format had its own reader (commit d1cbb27, November 2026:
    /// hand-rolled writer, read back by the generated serializer): four beds with missing and lost ranges, a restart,
    /// escaped boot ids, a null time, a fraction of a second and an offset other than UTC.</summary>
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Ingestion", "fixtures", "delivery-2026-11.json");

    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly DeliveryCheckpointFormat _format = new();

    private BedDelivery Bed(string bed = "bed-01") => new(bed, new DeliveryOptions(), _time, new TestLogger<DeliveryTracker>());

    private static byte[] Join(params byte[][] entries)
    {
        var file = new ArrayBufferWriter<byte>();
        DeliveryCheckpointFormat.Join(file, entries);
        return file.WrittenSpan.ToArray();
    }

    private static List<BedDeliveryState> Decode(string json) => DeliveryCheckpointFormat.Decode(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_file_of_todays_hub_is_read_with_every_field()
    {
        var beds = DeliveryCheckpointFormat.Decode(File.ReadAllBytes(Fixture));
        Assert.Equal(["bed-01", "bed-03", "bed-04", "bed-02"], beds.Select(b => b.Bed));

        var a = beds[0];
        Assert.Equal(("nexus", 20L, 10L, 2L, 1L, 0L), (a.Facility, a.LastSequence, a.Received, a.Duplicates, a.Late, a.Resets));
        Assert.Equal([new SequenceRange(4, 4), new SequenceRange(13, 19)], a.Missing);
        Assert.Equal([new SequenceRange(7, 8)], a.Lost);
        Assert.Equal(T0 + TimeSpan.FromSeconds(200.125), a.NewestEventTs);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5), a.DeviceFrontier);
        Assert.Equal(["run-\"a\"+ü", "5f0c1d9e8a2b4c7d9e0f1a2b3c4d5e6f"], a.Boots);

        var restarted = beds[2];
        Assert.Equal(("west", 0L, 2L, 1L, (DateTimeOffset?)null), (restarted.Facility, restarted.LastSequence, restarted.Received, restarted.Resets, restarted.NewestEventTs));
        Assert.Equal([new SequenceRange(2, 2)], restarted.Lost);

        var offset = beds[3];
        Assert.Equal((new DateTimeOffset(2026, 3, 1, 22, 0, 0, TimeSpan.FromHours(-1)), (DateTimeOffset?)null), (offset.NewestEventTs, offset.DeviceFrontier));
        Assert.Equal(TimeSpan.FromHours(-1), offset.NewestEventTs!.Value.Offset);
        Assert.Empty(offset.Boots);
    }

    [Fact]
    public void Beds_restored_from_a_file_of_todays_hub_are_written_again_to_the_same_bytes()
    {
        var file = File.ReadAllBytes(Fixture);
        var entries = DeliveryCheckpointFormat.Decode(file).Select(s =>
        {
            var d = Bed(s.Bed);
            d.Restore(s);
            return _format.Encode(s.Facility, s.Bed, d);
        });

        Assert.Equal(Encoding.UTF8.GetString(file), Encoding.UTF8.GetString(Join([.. entries])));
    }

    [Fact]
    public void What_is_written_is_read_back_the_same()
    {
        var d = Bed();
        d.ApplyStatus(new StatusMessage { Bed = "bed-01", Seq = 0, Ts = T0, Boot = "boot \"1\" \\ ✓" }, retained: false);
        foreach (var seq in new long[] { 1, 2, 6, 9, 9, 12 })
        {
            d.Observe(seq, T0 + TimeSpan.FromSeconds(10 * seq));
        }

        d.DeclareLost(3, 4);
        var quiet = Bed("bed-02");

        var beds = DeliveryCheckpointFormat.Decode(Join(_format.Encode("nexus", "bed-01", d), _format.Encode("west", "bed-02", quiet)));

        var a = beds[0];
        Assert.Equal(("nexus", "bed-01", 12L, 5L, 1L, 0L, 0L), (a.Facility, a.Bed, a.LastSequence, a.Received, a.Duplicates, a.Late, a.Resets));
        Assert.Equal(d.MissingRanges, a.Missing.Select(r => (r.From, r.To)));
        Assert.Equal(d.LostRanges, a.Lost.Select(r => (r.From, r.To)));
        Assert.Equal((d.NewestEventTs, d.DeviceFrontier), (a.NewestEventTs, a.DeviceFrontier));
        Assert.Equal(d.Boots, a.Boots);
        var b = beds[1];
        Assert.Equal(("west", "bed-02", 0L, (DateTimeOffset?)null, (DateTimeOffset?)null), (b.Facility, b.Bed, b.LastSequence, b.NewestEventTs, b.DeviceFrontier));
        Assert.Empty(b.Missing);
        Assert.Empty(b.Lost);
        Assert.Empty(b.Boots);
        Assert.Empty(DeliveryCheckpointFormat.Decode(Join()));
    }

    [Fact]
    public void Properties_in_any_order_unknown_ones_and_absent_or_null_lists_are_accepted()
    {
        // Older hubs wrote no boot ids; a later one may add fields.
        var beds = Decode("""
            [ { "lost": null, "future": { "x": [1, {"y": 2}] }, "bed": "bed-07", "received": 3, "facility": "nexus",
                "missing": [ { "to": 9, "note": "skip me", "from": 8 } ], "lastSequence": 10, "deviceFrontier": null } ]
            """);

        var s = Assert.Single(beds);
        Assert.Equal(("nexus", "bed-07", 10L, 3L, 0L), (s.Facility, s.Bed, s.LastSequence, s.Received, s.Duplicates));
        Assert.Equal([new SequenceRange(8, 9)], s.Missing);
        Assert.Empty(s.Lost);
        Assert.Empty(s.Boots);
        Assert.Null(s.NewestEventTs);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("{}", "the file must be StartArray")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\"}", "")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\"}] x", "")]
    [InlineData("[1]", "a bed's entry must be StartObject")]
    [InlineData("[{\"bed\":\"bed-01\"}]", "without facility or bed")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"lastSequence\":\"7\"}]", "lastSequence must be Number")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"received\":1.5}]", "received must be a whole number")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"late\":1e30}]", "late must be a whole number")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"missing\":[{\"from\":1}]}]", "missing must be ranges with from and to")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"lost\":{}}]", "lost must be StartArray")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"boots\":[1]}]", "boots must be String")]
    [InlineData("[{\"facility\":\"nexus\",\"bed\":\"bed-01\",\"newestEventTs\":\"yesterday\"}]", "newestEventTs must be a time")]
    [InlineData("[{\"facility\":7,\"bed\":\"bed-01\"}]", "facility must be String")]
    public void Anything_else_is_refused_with_what_is_wrong(string json, string reason)
    {
        var e = Assert.ThrowsAny<JsonException>(() => Decode(json));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}

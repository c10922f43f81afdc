using System.Buffers;
using System.Text;

namespace Somnis.Contracts.Tests;

/// <summary>
/// The verdicts of the wire validator for each kind of message (docs/protocol.md, "Validation"). How the hub counts and
/// logs them is tested with its ingestion pipeline; the vitals reader's agreement with the general path in
/// <see cref="VitalsReaderTests"/>.
/// </summary>
public sealed class MessageValidatorTests
{
    private static ReadOnlySequence<byte> Json(string s) => new(Encoding.UTF8.GetBytes(s));

    private static VitalsMessage Vitals => new()
    {
        Bed = "bed-01", Seq = 1, Ts = new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero), IntervalSeconds = 10, SignalQuality = 1,
    };

    [Fact]
    public void Vitals_at_the_edges_of_every_range_are_accepted()
    {
        var low = Vitals with
        {
            IntervalSeconds = MessageValidator.MinIntervalSeconds, HeartRate = MessageValidator.MinHeartRate,
            RespirationRate = MessageValidator.MinRespirationRate, ActivityCount = 0, SkinTemperature = MessageValidator.MinSkinTemperature,
            RoomTemperature = MessageValidator.MinRoomTemperature, SignalQuality = 0,
        };
        var high = Vitals with
        {
            IntervalSeconds = MessageValidator.MaxIntervalSeconds, HeartRate = MessageValidator.MaxHeartRate,
            RespirationRate = MessageValidator.MaxRespirationRate, ActivityCount = MessageValidator.MaxActivityCount,
            SkinTemperature = MessageValidator.MaxSkinTemperature, RoomTemperature = MessageValidator.MaxRoomTemperature, SignalQuality = 1,
        };

        Assert.True(MessageValidator.Validate(low, "bed-01").Ok);
        Assert.True(MessageValidator.Validate(high, "bed-01").Ok);
        Assert.True(MessageValidator.Validate(Vitals with { HeartRate = null, RespirationRate = null, BedPresence = null }, "bed-01").Ok);
    }

    [Fact]
    public void Vitals_name_the_first_field_out_of_range_or_not_finite()
    {
        Assert.Equal((RejectReason.OutOfRange, "heartRate"), Verdict(Vitals with { HeartRate = MessageValidator.MaxHeartRate + 0.5 }));
        Assert.Equal((RejectReason.OutOfRange, "skinTemperature"), Verdict(Vitals with { SkinTemperature = 310 }));
        Assert.Equal((RejectReason.NotFinite, "roomTemperature"), Verdict(Vitals with { RoomTemperature = double.NaN }));
        Assert.Equal((RejectReason.OutOfRange, "seq"), Verdict(Vitals with { Seq = -1 }));
        Assert.Equal((RejectReason.MissingField, "ts"), Verdict(Vitals with { Ts = default }));
        Assert.Equal((RejectReason.MissingField, "bed"), Verdict(Vitals with { Bed = "" }));
        Assert.Equal(RejectReason.BedMismatch, Verdict(Vitals with { Bed = "bed-02" }).Reason);

        static (RejectReason? Reason, string? Detail) Verdict(VitalsMessage m)
        {
            var parsed = MessageValidator.Validate(m, "bed-01");
            return (parsed.Reason, parsed.Detail);
        }
    }

    [Theory]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","state":"online"}""", null)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","state":"offline"}""", null)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","state":"asleep"}""", RejectReason.OutOfRange)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","state":"online","boot":"12345678901234567890123456789012345678901234567890123456789012345"}""", RejectReason.OutOfRange)]
    [InlineData("""{"v":2,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","state":"online"}""", RejectReason.UnsupportedVersion)]
    public void Status_state_is_online_or_offline(string json, RejectReason? reason)
    {
        Assert.Equal(reason, MessageValidator.ParseStatus(Json(json), "bed-01").Reason);
    }

    [Theory]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":2,"reason":"journal-full"}""", null, null)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":7,"toSeq":7,"count":1,"reason":"not-retained"}""", null, null)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":0,"toSeq":3,"count":2,"reason":"journal-full"}""", RejectReason.OutOfRange, "fromSeq/toSeq")]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":5,"toSeq":3,"count":2,"reason":"journal-full"}""", RejectReason.OutOfRange, "fromSeq/toSeq")]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":3,"reason":"journal-full"}""", RejectReason.OutOfRange, "count")]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":0,"reason":"journal-full"}""", RejectReason.OutOfRange, "count")]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":2,"reason":"cosmic-rays"}""", RejectReason.OutOfRange, "reason")]
    [InlineData("""{"v":1,"bed":"bed-02","ts":"2026-03-01T23:01:00Z","fromSeq":2,"toSeq":3,"count":2,"reason":"journal-full"}""", RejectReason.BedMismatch, "payload bed differs from topic bed")]
    public void A_gap_names_a_range_a_count_within_it_and_a_known_reason(string json, RejectReason? reason, string? detail)
    {
        var parsed = MessageValidator.ParseGap(Json(json), "bed-01");
        Assert.Equal((reason, detail), (parsed.Reason, parsed.Detail));
    }

    [Theory]
    [InlineData("""{"v":1,"bed":"bed-01","id":"c1","ts":"2026-03-01T23:00:00Z","action":"pause","issuedBy":"sam"}""", null)]
    [InlineData("""{"v":1,"bed":"bed-01","id":"c2","ts":"2026-03-01T23:00:00Z","action":"resume","issuedBy":"auto-rule"}""", null)]
    [InlineData("""{"v":1,"bed":"bed-01","id":"c3","ts":"2026-03-01T23:00:00Z","action":"explode","issuedBy":"sam"}""", RejectReason.OutOfRange)]
    [InlineData("""{"v":1,"bed":"bed-01","ts":"2026-03-01T23:00:00Z","action":"pause","issuedBy":"sam"}""", RejectReason.MissingField)]
    [InlineData("""{"v":1,"bed":"bed-01","id":"c4","action":"pause","issuedBy":"sam"}""", RejectReason.MissingField)]
    [InlineData("""{"v":1,"bed":"bed-01","action":"resend","fromSeq":10,"toSeq":42}""", null)]
    [InlineData("""{"v":1,"bed":"bed-01","action":"resend","fromSeq":42,"toSeq":10}""", RejectReason.OutOfRange)]
    [InlineData("""{"v":1,"bed":"bed-01","action":"resend","fromSeq":1,"toSeq":100001}""", RejectReason.OutOfRange)]
    [InlineData("""{"v":1,"bed":"bed-02","action":"resend","fromSeq":10,"toSeq":42}""", RejectReason.BedMismatch)]
    public void Interlock_commands_need_an_id_and_time_and_resend_needs_only_a_bounded_range(string json, RejectReason? reason)
    {
        Assert.Equal(reason, MessageValidator.ParseCommand(Json(json), "bed-01").Reason);
    }

    [Fact]
    public void Malformed_json_is_told_apart_from_a_value_of_the_wrong_type_and_a_payload_too_large_is_not_read()
    {
        Assert.Equal(RejectReason.NotJson, MessageValidator.ParseArchitect(Json("{\"v\":1,"), "bed-01").Reason);
        Assert.Equal(RejectReason.NotJson, MessageValidator.ParseArchitect(ReadOnlySequence<byte>.Empty, "bed-01").Reason);
        Assert.Equal(RejectReason.TooLarge, MessageValidator.ParseArchitect(Json(new string(' ', Protocol.MaxPayloadBytes + 1)), "bed-01").Reason);

        var wrongType = MessageValidator.ParseArchitect(Json("""{"v":1,"bed":"bed-01","seq":2,"ts":"2026-03-01T23:00:00Z","stimulating":"yes"}"""), "bed-01");
        Assert.Equal((RejectReason.WrongType, "$.stimulating"), (wrongType.Reason, wrongType.Detail));
    }
}

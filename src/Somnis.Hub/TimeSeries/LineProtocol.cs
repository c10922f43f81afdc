using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;
using Somnis.Contracts;

namespace Somnis.Hub.TimeSeries;

/// <summary>One scored sleep epoch for the time-series sink (written by detection through <see cref="InfluxSink.WriteEpoch"/>).</summary>
/// <param name="Start">Device time at the start of the epoch.</param>
/// <param name="Length">Epoch length (30 s in AASM scoring).</param>
/// <param name="Stage">Scored stage, a short lower-case label (e.g. wake, n1, n2, n3, rem, unknown); written as a tag.</param>
/// <param name="Confidence">Scorer's confidence 0–1, when it has one.</param>
public sealed record EpochPoint(string Facility, string Bed, DateTimeOffset Start, TimeSpan Length, string Stage, double? Confidence = null);

/// <summary>
/// The sink's schema (docs/storage.md, "Time-series schema"): InfluxDB line protocol, millisecond precision, device time.
/// Field types never change (floats stay floats, <c>seq</c> is always an integer): InfluxDB refuses a field whose type
/// differs from what the bucket already holds.
/// </summary>
internal static class LineProtocol
{
    public const WritePrecision Precision = WritePrecision.Ms;

    public static string Vitals(string facility, VitalsMessage v)
    {
        var p = PointData.Measurement("vitals")
            .Tag("facility", facility)
            .Tag("bed", v.Bed)
            .Field("seq", v.Seq)
            .Field("interval_s", v.IntervalSeconds)
            .Field("signal_quality", v.SignalQuality)
            .Field("architect_stimulating", v.ArchitectStimulating)
            .Field("interlock_engaged", v.InterlockEngaged)
            .Timestamp(v.Ts, Precision);
        p = Optional(p, "heart_rate", v.HeartRate);
        p = Optional(p, "respiration_rate", v.RespirationRate);
        p = Optional(p, "activity_count", v.ActivityCount);
        p = Optional(p, "skin_temperature", v.SkinTemperature);
        p = Optional(p, "room_temperature", v.RoomTemperature);
        if (v.BedPresence is { } present)
        {
            p = p.Field("bed_presence", present);
        }

        return p.ToLineProtocol();
    }

    public static string Epoch(EpochPoint e)
    {
        var p = PointData.Measurement("epochs")
            .Tag("facility", e.Facility)
            .Tag("bed", e.Bed)
            .Tag("stage", e.Stage)
            .Field("length_s", e.Length.TotalSeconds)
            .Timestamp(e.Start, Precision);
        return Optional(p, "confidence", e.Confidence).ToLineProtocol();
    }

    private static PointData Optional(PointData p, string field, double? value) => value is { } v ? p.Field(field, v) : p;
}

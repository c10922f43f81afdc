using System.Text.Json;
using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>A serialized message waiting to be published; <see cref="Seq"/> is null for status messages (state, not
/// journaled: the newest status is always built afresh), <see cref="Ts"/> is its event time.</summary>
internal sealed record OutgoingMessage(string Topic, ReadOnlyMemory<byte> Payload, bool Retain, long? Seq, DateTimeOffset Ts = default)
{
    /// <summary>How the journal stores it.</summary>
    public RecordKind Kind => Topic.EndsWith("/" + Topics.Architect, StringComparison.Ordinal) ? RecordKind.Architect : RecordKind.Vitals;

    public static OutgoingMessage Status(string facility, StatusMessage status) => new(
        Topics.For(facility, status.Bed, Topics.Status),
        JsonSerializer.SerializeToUtf8Bytes(status, SomnisJsonContext.Default.StatusMessage),
        Retain: true,
        Seq: null,
        Ts: status.Ts);

    public static OutgoingMessage Vitals(string facility, VitalsMessage vitals) => new(
        Topics.For(facility, vitals.Bed, Topics.Vitals),
        JsonSerializer.SerializeToUtf8Bytes(vitals, SomnisJsonContext.Default.VitalsMessage),
        Retain: false,
        Seq: vitals.Seq,
        Ts: vitals.Ts);

    public static OutgoingMessage Architect(string facility, ArchitectEvent evt) => new(
        Topics.For(facility, evt.Bed, Topics.Architect),
        JsonSerializer.SerializeToUtf8Bytes(evt, SomnisJsonContext.Default.ArchitectEvent),
        Retain: false,
        Seq: evt.Seq,
        Ts: evt.Ts);
}

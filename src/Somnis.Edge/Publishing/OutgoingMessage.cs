namespace Somnis.Edge.Publishing;

/// <summary>A serialized message waiting to be published; <see cref="Seq"/> is null for status messages.</summary>
internal sealed record OutgoingMessage(string Topic, ReadOnlyMemory<byte> Payload, bool Retain, long? Seq);

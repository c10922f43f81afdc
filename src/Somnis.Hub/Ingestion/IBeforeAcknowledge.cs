namespace Somnis.Hub.Ingestion;

/// <summary>
/// Work a feature defers off the ingestion thread (storing alarm changes, writing the vitals history) that must be
/// durable before the MQTT messages that caused it are acknowledged to the broker: at every checkpoint the ingestor
/// awaits <see cref="BeforeAcknowledgeAsync"/> for everything applied so far, then saves its accounting, then
/// acknowledges, so a hub killed at any point loses nothing the broker will not redeliver.
/// </summary>
internal interface IBeforeAcknowledge
{
    ValueTask BeforeAcknowledgeAsync(CancellationToken ct);
}

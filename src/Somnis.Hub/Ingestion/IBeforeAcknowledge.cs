namespace Somnis.Hub.Ingestion;

/// <summary>
/// Work a feature defers off the ingestion thread (e.g. storing alarm changes) that must be durable before the MQTT messages
/// that caused it are acknowledged to the broker: the ingestor calls <see cref="Flush"/> at every checkpoint, before it
/// acknowledges, so a hub killed at any point loses nothing the broker will not redeliver.
/// </summary>
internal interface IBeforeAcknowledge
{
    void Flush();
}

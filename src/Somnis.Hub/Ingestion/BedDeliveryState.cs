namespace Somnis.Hub.Ingestion;

/// <summary>
/// One bed's entry of the delivery checkpoint (DATA/delivery.json) as <see cref="DeliveryCheckpointFormat.Decode"/>
/// reads it back: the part of a <see cref="BedDelivery"/> that outlives a restart. What the edge reports (backlog,
/// clock) is not in it: the next status brings it again.
/// </summary>
/// <param name="Boots">Boot ids of the bed's recent runs, oldest first (empty in files of hubs older than boot ids).</param>
internal sealed record BedDeliveryState(
    string Facility,
    string Bed,
    long LastSequence,
    long Received,
    long Duplicates,
    long Late,
    long Resets,
    List<SequenceRange> Missing,
    List<SequenceRange> Lost,
    DateTimeOffset? NewestEventTs,
    DateTimeOffset? DeviceFrontier,
    List<string> Boots);

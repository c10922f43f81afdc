using Somnis.Contracts;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// Where accepted vitals go besides the live bed state: the embedded history, the time-series sink. A real seam with
/// several implementations, called on the ingestion path for every accepted vitals message.
/// </summary>
internal interface IVitalsRecorder
{
    /// <summary>Takes one accepted message. Must return at once and never throw: an implementation that cannot keep
    /// up queues within its own bound and counts what it drops.</summary>
    void Record(string facility, VitalsMessage vitals);
}

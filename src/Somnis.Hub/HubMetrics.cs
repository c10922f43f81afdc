namespace Somnis.Hub;

/// <summary>Names of the hub's metrics (exported at <c>/metrics</c>, docs/operations.md).</summary>
internal static class HubMetrics
{
    public const string MeterName = "Somnis.Hub";
}

namespace Somnis.Hub.Tests.Infrastructure;

/// <summary>
/// Tests that read metric values from a hub's <c>/metrics</c> run alone. OpenTelemetry listens to meters by name across
/// the whole process, so a hub started by a test running beside them exports the other hub's instruments of the same
/// name too, and an observable gauge's value can be the other hub's. xunit runs this collection after the parallel
/// ones, one test at a time, when no other test host is alive.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "process metrics";
}

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// Tests that start processes (hub, edge, Mosquitto, Chromium, VictoriaMetrics) run one at a time: on a 2-core machine
/// several at once starve each other and their timeouts.
/// </summary>
[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection;

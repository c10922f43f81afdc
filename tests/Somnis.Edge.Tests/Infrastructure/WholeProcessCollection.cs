namespace Somnis.Edge.Tests.Infrastructure;

/// <summary>
/// Tests that measure the whole test process (its managed heap) run alone: xunit runs this collection after the
/// parallel ones, one test at a time, so nothing else allocates while they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeProcessCollection
{
    public const string Name = "whole process";
}

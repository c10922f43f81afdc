using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Startup;

/// <summary>Invalid options stop the edge process at start-up (exit code 2), each named with its allowed range.</summary>
[Collection("processes")]
public sealed class EdgeStartupTests
{
    [Fact]
    public async Task Invalid_edge_options_stop_the_edge_naming_the_option_and_range()
    {
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, "--speed", "0", "--broker", "http://nowhere");
        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--speed (Edge:Speed) must be between 0.1 and 100000 (got 0)", edge.Output, StringComparison.Ordinal);
        Assert.Contains("--broker (Edge:Broker): must look like mqtt://HOST:PORT", edge.Output, StringComparison.Ordinal);
    }
}

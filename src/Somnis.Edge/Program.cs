using Microsoft.Extensions.Hosting;
using Somnis.Edge;
using Somnis.Edge.Cli;

// somnis-edge [options]: README, "Edge options"; --help lists them. Exit codes: 0 stopped, 2 bad command line or configuration.
var (flags, keys) = Switches.SplitKeys(args);
return await Switches.InvokeAsync("somnis-edge", EdgeHost.Command(keys, RunAsync), flags, keys, Console.Out, Console.Error);

static async Task<int> RunAsync(string[] configuration, CancellationToken cancellationToken)
{
    var builder = Host.CreateApplicationBuilder(configuration);
    builder.AddSomnisEdge();
    builder.Services.AddSystemd();

    var host = builder.Build();
    if (!StartupValidation.Passes(host.Services, "somnis-edge"))
    {
        return Switches.Usage;
    }

    await host.RunAsync(cancellationToken);
    return Switches.Done;
}

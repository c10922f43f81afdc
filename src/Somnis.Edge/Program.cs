using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Somnis.Edge;

args = EdgeHost.ExpandFlags(args);
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCommandLine(args, EdgeHost.SwitchMappings.ToDictionary());
builder.AddSomnisEdge();
builder.Services.AddSystemd();

try
{
    await builder.Build().RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // Invalid options stop the edge before it touches a sensor or the network, naming the option and its range.
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync($"somnis-edge: invalid option: {failure}");
    }

    return 2;
}

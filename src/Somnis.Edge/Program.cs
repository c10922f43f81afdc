using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Somnis.Edge;

args = EdgeHost.ExpandFlags(args);
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCommandLine(args, EdgeHost.SwitchMappings.ToDictionary());
builder.AddSomnisEdge();
builder.Services.AddSystemd();

var host = builder.Build();
if (!StartupValidation.Passes(host.Services, "somnis-edge"))
{
    return 2;
}

await host.RunAsync();
return 0;

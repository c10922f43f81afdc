using Somnis.Edge;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Api;
using Somnis.Hub.Auth;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Demo;
using Somnis.Hub.Detection;
using Somnis.Hub.Health;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

// Commands: (none) or "serve" runs the hub; "demo" runs the hub with a simulated facility; "analyze" scores a
// recorded night offline; "validate" checks the scorer against polysomnography; "hash-password" prints a password hash.
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
switch (command)
{
    case "serve" or "demo":
        break;
    case "analyze":
        return AnalyzeCommand.Run(rest, Console.Out, Console.Error);
    case "validate":
        return ValidateCommand.Run(rest, Console.Out, Console.Error);
    case "hash-password":
        return HashPasswordCommand.Run(Console.In, Console.Out, Console.Error);
    default:
        await Console.Error.WriteLineAsync($"somnis-hub: unknown command '{command}' (commands: serve, demo, analyze, validate, hash-password)");
        return 2;
}

// Content (appsettings, dashboard files) is read from next to the binary, wherever the hub is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(rest, HubComposition.SwitchMappings.ToDictionary());
builder.AddSomnisDefaults();
builder.AddSomnisHealth();
builder.AddSomnisAuth();
builder.AddBroker();
builder.AddBeds();
builder.AddDetection();
builder.AddStorage();
builder.AddSleepers();
builder.AddNights();
builder.AddStudy();
builder.AddAlarms();
builder.AddIngestion();
builder.AddDashboard();
builder.AddDashboardPages();
if (command == "demo")
{
    builder.AddSomnisDemo();
}

var app = builder.Build();
if (!StartupValidation.Passes(app.Services, "somnis-hub"))
{
    return 2;
}

app.UseResponseCompression();
app.UseAuthentication();
app.UseAuthorization();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapSomnisHealth();
app.MapSignIn();
app.MapBedsApi();
app.MapNightApi();
app.MapAlarmsApi();
app.MapSleepersApi();
app.MapNightsApi();
app.MapStudyApi();
app.MapLiveFeed();
app.MapDashboardPages();
app.MapPrometheusScrapingEndpoint("/metrics");

await app.RunAsync();
return 0;

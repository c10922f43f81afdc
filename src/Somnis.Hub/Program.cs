using Somnis.Edge;
using Somnis.Edge.Cli;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Api;
using Somnis.Hub.Auth;
using Somnis.Hub.Cluster;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Demo;
using Somnis.Hub.Detection;
using Somnis.Hub.Health;
using Somnis.Hub.Nights;
using Somnis.Hub.Security;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

// The hub's commands (README, "Commands"); each is one file that builds its System.CommandLine command (one that reads
// configuration marks itself with Switches.ReadsConfiguration). Without a command the hub serves. Exit codes: 0 done, 2 bad command line or configuration.
var (flags, keys) = Switches.SplitKeys(args);
var root = ServeCommand.Root(keys, RunHubAsync);
root.Subcommands.Add(ServeCommand.Serve(keys, RunHubAsync));
root.Subcommands.Add(ServeCommand.Demo(keys, RunHubAsync));
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(HashPasswordCommand.Create());
root.Subcommands.Add(UsersCommand.Create(keys));
return await Switches.InvokeAsync("somnis-hub", root, flags, keys, Console.Out, Console.Error);

static async Task<int> RunHubAsync(string[] configuration, bool demo, CancellationToken cancellationToken)
{
    // Content (appsettings, dashboard files) is read from next to the binary, wherever the hub is started from.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = configuration, ContentRootPath = AppContext.BaseDirectory });
    builder.AddSomnisDefaults();
    builder.AddTransportSecurity();
    builder.AddSomnisHealth();
    builder.AddSomnisAuth();
    builder.AddBroker();
    builder.AddBeds();
    builder.AddDetection();
    builder.AddStorage();
    builder.AddUsers();
    builder.AddSleepers();
    builder.AddNights();
    builder.AddStudy();
    builder.AddAlarms();
    builder.AddCluster();
    builder.AddIngestion();
    builder.AddDashboard();
    builder.AddDashboardPages();
    if (demo)
    {
        builder.AddSomnisDemo();
    }

    var app = builder.Build();
    if (!StartupValidation.Passes(app.Services, "somnis-hub"))
    {
        return Switches.Usage;
    }

    // Schema checked and migrated, the shared store reached (or waited for), before anything runs on it.
    if (!await StoreStartup.OpenAsync(app.Services, cancellationToken))
    {
        return Switches.Usage;
    }

    // Cookie keys shared, the node's name free among the running hubs (docs/high-availability.md).
    if (!await ClusterStartup.JoinAsync(app.Services, cancellationToken))
    {
        return Switches.Usage;
    }

    app.UseTransportSecurity();
    app.UseResponseCompression();
    app.UseRateLimiter();
    app.UseAuthentication();
    app.UseUserSessions();
    app.UseAuthorization();
    app.UseClusterGate();
    app.UseDefaultFiles();
    app.UseStaticFiles();
    app.MapSomnisHealth();
    app.MapSignIn();
    app.MapUsersApi();
    app.MapBedsApi();
    app.MapNightApi();
    app.MapAlarmsApi();
    app.MapSleepersApi();
    app.MapNightsApi();
    app.MapStudyApi();
    app.MapLiveFeed();
    app.MapClusterApi();
    app.MapDashboardPages();
    app.MapPrometheusScrapingEndpoint("/metrics");

    await app.RunAsync(cancellationToken);
    return Switches.Done;
}

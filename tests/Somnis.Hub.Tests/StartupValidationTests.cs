using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Somnis.Edge;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Demo;
using Somnis.Hub.Detection;
using Somnis.Hub.Health;
using Somnis.Hub.Nights;
using Somnis.Hub.Security;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;

namespace Somnis.Hub.Tests;

/// <summary>The hub's start as Program.cs composes it (with <c>demo</c>'s simulated beds): validating every setting
/// touches no file; the data directory and the demo beds' journal are made by start-up steps afterwards.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "somnis-hub-startup-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static WebApplication Build(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--urls", "http://127.0.0.1:0", .. args], ContentRootPath = AppContext.BaseDirectory });
        builder.AddSomnisDefaults();
        builder.AddTransportSecurity();
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
        builder.AddSomnisDemo();
        return builder.Build();
    }

    [Fact]
    public async Task Validating_every_setting_creates_nothing_and_the_start_up_steps_make_the_directories()
    {
        var data = Path.Combine(_dir, "data");
        await using var app = Build("--Hub:DataDirectory", data);

        app.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.False(Directory.Exists(_dir));

        Assert.True(StartupValidation.Passes(app.Services, "somnis-hub-test"));
        Assert.True(Directory.Exists(data));
        Assert.True(Directory.Exists(Path.Combine(data, "edge-journal")));
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_made_stops_the_start()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "x");
        await using var app = Build("--Hub:DataDirectory", Path.Combine(file, "data"));

        app.Services.GetRequiredService<IStartupValidator>().Validate();
        var problem = StoreStartup.CreateDataDirectory(app.Services);
        Assert.NotNull(problem);
        Assert.StartsWith($"--data (Hub:DataDirectory) '{Path.Combine(file, "data")}' cannot be created: ", problem, StringComparison.Ordinal);
        Assert.False(StartupValidation.Passes(app.Services, "somnis-hub-test"));
    }

    /// <summary>Each section's validator is registered to run at start-up, and its message names the setting.</summary>
    [Theory]
    [InlineData("--Beds:StaleAfter", "00:00:00", "Beds:StaleAfter must be between 00:00:05 and 1.00:00:00 (got 00:00:00)")]
    [InlineData("--Broker:MqttVersion", "4", "--mqtt-version (Broker:MqttVersion) must be 5 or 3.1.1")]
    [InlineData("--Broker:ReceiveMaximum", "8", "Broker:ReceiveMaximum must be between 16 and 65535 messages (got 8)")]
    [InlineData("--Delivery:CheckpointInterval", "00:00:06", "Delivery:CheckpointInterval must be between 00:00:00.010 and 00:00:05 (got 00:00:06)")]
    [InlineData("--Detection:IncidentMinShare", "2", "Detection:IncidentMinShare must be between 0 and 1 (got 2)")]
    [InlineData("--Storage:BatchSize", "0", "Storage:BatchSize must be between 1 and 1000000 rows (got 0)")]
    [InlineData("--Influx:BatchSize", "0", "Influx:BatchSize must be between 1 and 50000 points (got 0)")]
    [InlineData("--Alarms:Webhook:MaxAttempts", "0", "Alarms:Webhook:MaxAttempts must be between 1 and 20 (got 0)")]
    [InlineData("--Alarms:Types:sensor-fault:OnDelay", "03:00:00", "Alarms:Types:sensor-fault:OnDelay must be between 00:00:00 and 02:00:00 (got 03:00:00)")]
    [InlineData("--Auth:SessionLifetime", "00:00:10", "Auth:SessionLifetime must be between 00:01:00 and 7.00:00:00 (got 00:00:10)")]
    [InlineData("--Auth:SignIn:Window", "00:00:00", "Auth:SignIn:Window must be between 00:00:01 and 1.00:00:00 (got 00:00:00)")]
    [InlineData("--Dashboard:DefaultWard", " ", "Dashboard:DefaultWard must not be empty")]
    [InlineData("--Transport:HstsMaxAge", "800.00:00:00", "Transport:HstsMaxAge must be between 00:00:00 and 730.00:00:00 (got 800.00:00:00)")]
    [InlineData("--Study:MinStimulated", "00:00:30", "Study:MinStimulated must be between 00:01:00 and 12:00:00 (got 00:00:30)")]
    [InlineData("--Hub:DataDirectory", " ", "--data (Hub:DataDirectory) must name a directory")]
    [InlineData("--Edge:Beds", "6000", "--beds (Edge:Beds) must be between 0 and 5000 (got 6000)")]
    [InlineData("--Edge:Mode", "bogus", "--mode (Edge:Mode) must be 'hardware' or 'simulated'")]
    public async Task Every_section_is_checked_at_start_up_naming_the_setting(string key, string value, string expected)
    {
        await using var app = Build("--Hub:DataDirectory", Path.Combine(_dir, "data"), key, value);
        var failure = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        var failures = failure is AggregateException all ? all.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures) : ((OptionsValidationException)failure).Failures;
        Assert.Contains(expected, failures);
        Assert.False(Directory.Exists(_dir));
    }
}

using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Startup;

/// <summary>Invalid settings stop the hub process at start-up (exit code 2), each named with what is allowed.</summary>
[Collection("processes")]
public sealed class HubStartupTests
{
    [Fact]
    public async Task Invalid_hub_settings_stop_the_hub_naming_the_setting()
    {
        var data = Directory.CreateTempSubdirectory("somnis-bad-").FullName;
        await using var hub = DotnetProcess.Start(RepoPaths.HubDll, "serve", "--urls", "http://127.0.0.1:0", "--data", data, "--broker", "ftp://x", "--Auth:Users:0:Name", "x", "--Auth:Users:0:Role", "janitor", "--Auth:Users:0:PasswordHash", "secret");
        Assert.Equal(2, await hub.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--broker (Broker:Url): must look like mqtt://HOST:PORT", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Auth:Users:0:Role must be 'technician' or 'supervisor' (got 'janitor')", hub.Output, StringComparison.Ordinal);
        Directory.Delete(data, true);
    }

    [Fact]
    public async Task Unknown_time_zone_or_bad_layout_stops_the_hub_naming_the_setting()
    {
        var data = Directory.CreateTempSubdirectory("somnis-bad-").FullName;
        await using var hub = DotnetProcess.Start(RepoPaths.HubDll, "demo", "--beds", "0", "--urls", "http://127.0.0.1:0", "--data", data,
            "--Dashboard:TimeZone", "Europe/Atlantis", "--Dashboard:Layout:0:Name", "North", "--Dashboard:Layout:0:Beds:0", "bed 1");
        Assert.Equal(2, await hub.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Dashboard:TimeZone 'Europe/Atlantis' is not a known IANA time zone id", hub.Output, StringComparison.Ordinal);
        Assert.Contains("Dashboard:Layout:0:Beds: 'bed 1' is not a bed id", hub.Output, StringComparison.Ordinal);
        Directory.Delete(data, true);
    }
}

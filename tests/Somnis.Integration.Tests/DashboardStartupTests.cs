using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests;

[Collection("processes")]
public sealed class DashboardStartupTests
{
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

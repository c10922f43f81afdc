using Somnis.Hub.Dashboard;

namespace Somnis.Hub.Tests.Dashboard;

public sealed class DashboardOptionsTests
{
    [Theory]
    [InlineData("Mars/Olympus_Mons", "Dashboard:TimeZone")]
    [InlineData("", "Dashboard:TimeZone")]
    public void Invalid_time_zone_is_refused_with_the_setting_named(string zone, string setting)
    {
        var result = new DashboardOptionsValidator().Validate(null, new DashboardOptions { TimeZone = zone });
        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_layout_is_refused_with_the_setting_named()
    {
        var result = new DashboardOptionsValidator().Validate(null, new DashboardOptions
        {
            TimeZone = "America/New_York",
            Layout = [new() { Name = "A", Beds = ["bed 1"] }, new() { Name = "A", Beds = [] }],
        });
        Assert.True(result.Failed);
        Assert.Contains("Dashboard:Layout:0:Beds: 'bed 1'", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dashboard:Layout:1:Name 'A' is used by two wards", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dashboard:Layout:1:Beds must list", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new DashboardOptionsValidator().Validate(null, new DashboardOptions { TimeZone = "Europe/Berlin", Layout = [new() { Name = "North", Beds = ["bed-0*", "bed-10"] }] }).Succeeded);
    }
}

using Microsoft.Extensions.Configuration;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmOptionsTests
{
    private static AlarmOptions Bind(Dictionary<string, string?> settings)
    {
        var o = new AlarmOptions();
        new AlarmOptionsSetup(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).Configure(o);
        return o;
    }

    [Fact]
    public void A_type_setting_overrides_only_what_it_sets()
    {
        var o = Bind(new() { ["Alarms:Types:edge-offline:OnDelay"] = "00:00:05" });
        Assert.Equal(TimeSpan.FromSeconds(5), o.For(AlarmTypes.EdgeOffline).OnDelay);
        Assert.Equal(AlarmPriorities.Medium, o.For(AlarmTypes.EdgeOffline).Priority);
        Assert.Equal(AlarmPriorities.High, o.For(AlarmTypes.ArchitectDeprivation).Priority);
        Assert.True(new AlarmOptionsValidator().Validate(null, o).Succeeded);
    }

    [Theory]
    [InlineData("Alarms:Types:bogus:Priority", "high", "'bogus' is not an alarm type")]
    [InlineData("Alarms:Types:sensor-fault:Priority", "urgent", "Alarms:Types:sensor-fault:Priority")]
    [InlineData("Alarms:Types:sensor-fault:OnDelay", "03:00:00", "Alarms:Types:sensor-fault:OnDelay")]
    [InlineData("Alarms:EscalateAfter", "00:01:00", "Alarms:EscalateAfter")]
    [InlineData("Alarms:MaxShelve", "2.00:00:00", "Alarms:MaxShelve")]
    [InlineData("Alarms:Webhook:Url", "ftp://x", "Alarms:Webhook:Url")]
    [InlineData("Alarms:ChatterCount", "1", "Alarms:ChatterCount")]
    public void Invalid_settings_are_named(string key, string value, string expected)
    {
        var result = new AlarmOptionsValidator().Validate(null, Bind(new() { [key] = value }));
        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }
}

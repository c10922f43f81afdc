using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Alarms;

/// <summary>The alarm dashboard in a real Chromium: the bed tile shows its highest alarm, the list acknowledges it.</summary>
[Collection("processes")]
public sealed class AlarmDashboardTests
{
    [Fact]
    public async Task Deprivation_alarm_shows_on_the_tile_and_is_acknowledged_from_the_list()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "2", "--scenario", "architect-deprivation", "--speed", "300", "--seed", "3", "--Alarms:AutoInterlock", "false");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 720 } });
        await Browser.SignInAsync(page, hub.Url, "technician");

        var tile = page.Locator("[data-bed-id='bed-01'] .tile-alarm[data-alarm-id][data-priority='high']");
        await tile.WaitForAsync(new() { Timeout = 90_000 });
        var id = await tile.GetAttributeAsync("data-alarm-id");
        var item = page.Locator($".alarm[data-alarm-id='{id}']");
        Assert.Equal("architect-deprivation", await item.GetAttributeAsync("data-type"));
        await item.Locator("button", new() { HasText = "Acknowledge" }).First.ClickAsync();

        await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={id}"))!
                .Any(e => e.GetProperty("action").GetString() == "acknowledged" && e.GetProperty("actor").GetString() == "technician") ? "" : null,
            TimeSpan.FromSeconds(20),
            "the acknowledgement in the audit trail");
        await Browser.ScreenshotAsync(page, "alarms.png");
    }
}

using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Dashboard;

/// <summary>
/// The live feed's first event names the node that serves it; when the dashboard's feed reconnects to another node (a
/// failover behind the load balancer), the page says so. Here the "other node" is the same URL served by a hub killed
/// (-9) and started again under another node name, same data directory (so the browser's session cookie stays valid):
/// what the browser sees is what it sees behind HAProxy after a failover.
/// </summary>
[Collection("processes")]
public sealed class HubChangedBrowserTests
{
    [Fact]
    public async Task After_the_feed_reconnects_to_another_node_a_dismissable_banner_names_it_and_the_beds_come_back()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "2", "--speed", "60", "--seed", "3", "--node", "a");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 720 } });
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.WaitForSelectorAsync("[data-bed-id='bed-02'][data-availability='online']", new() { Timeout = 60_000 });
        // The tiles may come from the page's own fetch before the feed's "connected" event names node a (seen once on a
        // loaded machine: killed before that, the page had no node to compare with and rightly showed no banner).
        await page.WaitForSelectorAsync("body[data-served-by='a']", new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 60_000 });
        Assert.Equal(0, await page.Locator("#hub-changed").CountAsync());
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");

        await hub.RestartAsync("--node", "b");

        var banner = page.Locator("#hub-changed");
        await page.WaitForSelectorAsync("body[data-served-by='b']", new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 60_000 });
        await banner.WaitForAsync(new() { Timeout = 60_000 });
        var text = await banner.InnerTextAsync();
        Assert.Matches(@"The hub changed: now served by node b \(was a\) at \d\d:\d\d", text);
        Assert.Equal("alert", await banner.GetAttributeAsync("role"));
        await page.WaitForSelectorAsync("#connection[data-state='live']", new() { Timeout = 60_000 });
        await page.WaitForSelectorAsync("[data-bed-id='bed-02'][data-availability='online']", new() { Timeout = 60_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await Browser.ScreenshotAsync(page, "hub-changed.png");

        await banner.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
        await banner.WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached, Timeout = 60_000 });
    }
}

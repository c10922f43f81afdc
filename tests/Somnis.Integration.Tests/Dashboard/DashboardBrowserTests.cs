using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Dashboard;

/// <summary>The dashboard in a real Chromium: sign in, see the bed tiles, see values change without reloading.</summary>
[Collection("processes")]
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task Technician_signs_in_sees_bed_tiles_and_a_value_changes_without_reload()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "6", "--speed", "60", "--seed", "3");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 720 } });

        // Not signed in: the dashboard sends the browser to the sign-in page.
        await page.GotoAsync(hub.Url + "/");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await Browser.SignInAsync(page, hub.Url, "technician");

        await page.WaitForSelectorAsync("[data-bed-id='bed-06'][data-availability='online']", new() { Timeout = 30_000 });
        // The hub learns its beds one by one, in any order: bed-06's tile does not mean the others are there yet.
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-bed-id]")).ToHaveCountAsync(6, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.querySelector(\"[data-bed-id='bed-01'] .hr\").textContent !== '–'", null, new() { Timeout = 30_000 });

        // Mark the page: a reload would lose the mark.
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");
        var before = await page.Locator("[data-bed-id='bed-01']").InnerTextAsync();
        await page.WaitForFunctionAsync(
            "(old) => document.querySelector(\"[data-bed-id='bed-01']\").innerText !== old",
            before,
            new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        Assert.Equal("live", await page.GetAttributeAsync("#connection", "data-state"));
        await Browser.ScreenshotAsync(page, "dashboard.png");
    }

    [Fact]
    public async Task Wrong_password_is_refused_on_the_sign_in_page()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "0");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await Browser.SignInAsync(page, hub.Url, "technician", "not-the-password");
        Assert.Equal("Wrong user name or password.", (await page.Locator("[role=alert]").TextContentAsync())?.Trim());
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }
}

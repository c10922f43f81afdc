using Microsoft.Playwright;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (no browser download).</summary>
public static class Browser
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException("Chromium is not installed: run ./test.sh (it installs the Debian package chromium)");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            // The closed network refuses Chromium's background connections; keep them off.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    public static async Task SignInAsync(IPage page, string baseUrl, string user, string password = "somnis-demo")
    {
        await page.GotoAsync(baseUrl + "/");
        await page.FillAsync("input[name=username]", user);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button[type=submit]");
    }

    /// <summary>Where a test keeps its screenshots; with SOMNIS_UPDATE_SCREENSHOTS=1 they also go to docs/screenshots.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var bytes = await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name) });
        if (Environment.GetEnvironmentVariable("SOMNIS_UPDATE_SCREENSHOTS") == "1")
        {
            var docs = Path.Combine(RepoPaths.Root, "docs", "screenshots");
            Directory.CreateDirectory(docs);
            await File.WriteAllBytesAsync(Path.Combine(docs, name), bytes);
        }
    }
}

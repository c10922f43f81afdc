using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Dashboard;

/// <summary>
/// The console with the demo's 24 beds and with 500 beds: every tile appears and updates keep flowing. The figures (render time, update cost,
/// page weight) are written to the test output and reported in docs/dashboard.md; they are not asserted.
/// </summary>
[Collection("processes")]
public sealed class ConsoleScaleBrowserTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(24, 60)] // the demo's defaults
    [InlineData(500, 10)] // speed 10: one vitals message per bed per real second, 500 messages/s into the hub and the page
    public async Task Console_renders_every_tile_and_keeps_updating(int count, int speed)
    {
        await using var hub = await HubProcess.StartAsync("--beds", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--speed", speed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "5");
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Length == count, TimeSpan.FromSeconds(60), $"{count} beds at the hub");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        await ConsoleProbe.AddAsync(page);
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.WaitForSelectorAsync("#connection[data-state='live']", new() { Timeout = 30_000 });

        // A fresh load, timed from navigation start.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("(n) => document.querySelectorAll('[data-bed-id]').length === n", count, new() { Timeout = 30_000, PollingInterval = 20 });
        var allTiles = await page.EvaluateAsync<double>("() => performance.now()");
        var events0 = (await ConsoleProbe.ReadAsync(page)).GetProperty("events").GetInt32();
        await page.WaitForFunctionAsync("(n) => window.__probe.events >= n", events0 + (count * 10), new() { Timeout = 60_000 });
        var stats = await ConsoleProbe.ReadAsync(page);
        var weight = await page.EvaluateAsync<double>(
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + (e.transferSize || 0), 0)");

        var frames = stats.GetProperty("frames").GetInt32();
        var events = stats.GetProperty("events").GetInt32();
        Assert.Equal(count, stats.GetProperty("tiles").GetInt32());
        Assert.True(frames > 10, $"only {frames} batched updates");
        var seconds = (stats.GetProperty("now").GetDouble() - allTiles) / 1000;
        output.WriteLine($"{count} beds: all tiles after {allTiles:0} ms from navigation (script start {stats.GetProperty("scriptStart").GetDouble():0} ms, first event {stats.GetProperty("firstEvent").GetDouble():0} ms, first tiles drawn {stats.GetProperty("firstTile").GetDouble():0} ms); page weight {weight:0} bytes");
        output.WriteLine($"updates: {events} events, {stats.GetProperty("renders").GetInt32()} tile renders in {frames} frames; " +
            $"mean frame {stats.GetProperty("totalFrameMs").GetDouble() / frames:0.0} ms, max {stats.GetProperty("maxFrameMs").GetDouble():0.0} ms (includes the first render); {(events - events0) / seconds:0} events/s");
    }
}

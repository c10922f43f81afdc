using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Dashboard;

/// <summary>
/// The console shows every bed at once (docs/dashboard.md, "Console"): the demo's 24 beds at 1280×800 and 48 at
/// 1920×1080, each tile fully in the window without scrolling, each with its sleeper's name (admitted through the API)
/// and marked with its bed's highest open alarm by colour, icon and words (priority, acknowledged or not), the same as
/// the hub's alarm API says.
/// </summary>
[Collection("processes")]
public sealed class ConsoleOverviewBrowserTests(ITestOutputHelper output)
{
    // Tiles whose whole box is inside the window and not covered by anything else (checked at its centre and corners).
    private const string FullyVisible = """
        () => [...document.querySelectorAll('article[data-bed-id]')].filter((t) => {
          const r = t.getBoundingClientRect();
          if (r.width === 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
          return [[r.left + r.width / 2, r.top + r.height / 2], [r.left + 3, r.top + 3], [r.right - 3, r.bottom - 3]]
            .every(([x, y]) => t.contains(document.elementFromPoint(x, y)));
        }).length
        """;

    // Each tile's alarm marking as the page shows it: bed -> "priority/acknowledged" ("none/" without an alarm).
    private const string Markings = """
        () => Object.fromEntries([...document.querySelectorAll('article[data-bed-id]')].map((t) => [t.dataset.bedId, `${t.dataset.alarmPriority}/${t.dataset.alarmAck}`]))
        """;

    private const int Timeout = 30_000;

    private static int Rank(string priority) => priority switch { "high" => 3, "medium" => 2, "low" => 1, _ => 0 };

    /// <summary>The marking each bed should show, from the alarm API: its highest open alarm that is neither shelved nor suppressed.</summary>
    private static async Task<Dictionary<string, string>> ExpectedAsync(HubProcess hub, IEnumerable<string> beds)
    {
        var open = (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alarms?state=open&limit=1000"))!
            .Where(a => a.GetProperty("bed").ValueKind == JsonValueKind.String && a.GetProperty("state").GetString() is not ("shelved" or "suppressed"))
            .ToList();
        return beds.ToDictionary(b => b, b => open.Where(a => a.GetProperty("bed").GetString() == b)
            .OrderByDescending(a => Rank(a.GetProperty("priority").GetString()!))
            .ThenByDescending(a => a.GetProperty("raisedAt").GetDateTimeOffset())
            .Select(a => $"{a.GetProperty("priority").GetString()}/{(a.GetProperty("acknowledged").GetBoolean() ? "true" : "false")}")
            .FirstOrDefault() ?? "none/");
    }

    [Theory]
    [InlineData(24, 1280, 800, "console-24.png")]
    [InlineData(48, 1920, 1080, "console-48.png")]
    public async Task Every_bed_fits_on_one_screen_marked_with_its_highest_alarm_by_colour_icon_and_words(int beds, int width, int height, string screenshot)
    {
        // The demo's facility (its mix of scenarios, its automatic interlock), fast enough that the Architect-deprivation
        // beds raise their high-priority alarms within a minute or two.
        await using var hub = await HubProcess.StartAsync("--beds", beds.ToString(CultureInfo.InvariantCulture), "--speed", "300", "--seed", "1");
        // A sleeper in every bed, named on its tile (the tile's height with a name is what must fit).
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Length == beds, TimeSpan.FromSeconds(60), "every bed at the hub");
        var names = await Admissions.FillEveryBedAsync(hub);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.WaitForFunctionAsync("(n) => document.querySelectorAll('article[data-bed-id][data-availability]').length === n", beds, new() { Timeout = Timeout });
        // The pointer away from the tiles: a hovered tile opens its detail over its neighbours.
        await page.Mouse.MoveAsync(width - 2, height - 2);

        // Two beds with a high-priority alarm: one acknowledged (by the technician, through the API), one not.
        var high = await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alarms?state=open&priority=high&limit=1000"))!
                .Where(a => a.GetProperty("bed").ValueKind == JsonValueKind.String && a.GetProperty("state").GetString() is "active-unacknowledged" or "cleared-unacknowledged")
                .GroupBy(a => a.GetProperty("bed").GetString()).Select(g => g.First()).Take(2).ToArray() is { Length: 2 } two ? two : null,
            TimeSpan.FromSeconds(180),
            "high-priority alarms on two beds");
        var (ackedBed, ackedId) = (high[0].GetProperty("bed").GetString()!, high[0].GetProperty("id").GetString()!);
        var unackedBed = high[1].GetProperty("bed").GetString()!;
        Assert.True((await hub.Http.PostAsJsonAsync($"/api/alarms/{ackedId}/ack", new { comment = "on my way" })).IsSuccessStatusCode);

        // Every tile shows what the alarm API says (alarms keep changing in a live facility: wait for a moment both agree).
        var ids = (await hub.BedsAsync()).Select(b => b.GetProperty("id").GetString()!).ToList();
        string mismatch = "";
        await Eventually.UntilAsync(
            async () =>
            {
                var expected = await ExpectedAsync(hub, ids);
                var shown = await page.EvaluateAsync<Dictionary<string, string>>(Markings);
                mismatch = string.Join(", ", ids.Where(b => shown.GetValueOrDefault(b) != expected[b]).Select(b => $"{b}: shown {shown.GetValueOrDefault(b)}, expected {expected[b]}"));
                return mismatch.Length == 0 && expected[ackedBed] == "high/true";
            },
            TimeSpan.FromSeconds(60),
            "every tile's alarm marking to match the alarm API");
        var marked = await page.EvaluateAsync<int>("() => document.querySelectorAll(\"article[data-bed-id]:not([data-alarm-priority='none'])\").length");
        output.WriteLine($"{beds} beds at {width}x{height}: {marked} tiles marked with an alarm; {mismatch}");

        // Readable without colour vision: the priority as icon and word, the acknowledgement in words.
        var acked = page.Locator($"article[data-bed-id='{ackedBed}'] .tile-alarm");
        var unacked = page.Locator($"article[data-bed-id='{unackedBed}'] .tile-alarm");
        await Assertions.Expect(acked).ToContainTextAsync("▲▲▲ High", new() { Timeout = Timeout });
        await Assertions.Expect(acked).ToContainTextAsync("✓ acknowledged", new() { Timeout = Timeout });
        Assert.Matches(@"▲▲▲ High\s+unacknowledged", await unacked.InnerTextAsync());
        // And by colour: the high priority's red on the tile's edge; filled when unacknowledged, dashed once acknowledged.
        var style = await page.EvaluateAsync<string[]>(
            "([a, u]) => [a, u].map((id) => { const s = getComputedStyle(document.querySelector(`article[data-bed-id='${id}']`)); return `${s.borderTopColor} ${s.borderTopStyle} ${s.backgroundColor}`; })",
            new[] { ackedBed, unackedBed });
        output.WriteLine($"acknowledged tile: {style[0]}; unacknowledged tile: {style[1]}");
        Assert.StartsWith("rgb(208, 0, 0) dashed", style[0], StringComparison.Ordinal);
        Assert.StartsWith("rgb(208, 0, 0) solid", style[1], StringComparison.Ordinal);
        Assert.NotEqual(style[0].Split(' ', 5)[4], style[1].Split(' ', 5)[4]);

        // Every bed on one screen, without scrolling, with its sleeper's name.
        Assert.Equal(names, await page.EvaluateAsync<Dictionary<string, string>>(Admissions.TileNames));
        Assert.Equal(0, await page.EvaluateAsync<double>("() => scrollY"));
        var visible = await page.EvaluateAsync<int>(FullyVisible);
        output.WriteLine($"fully visible tiles: {visible} of {beds}; page {await page.EvaluateAsync<string>("() => `${document.documentElement.scrollWidth}x${document.documentElement.scrollHeight}`")}");
        Assert.Equal(beds, visible);
        await Browser.ScreenshotAsync(page, screenshot);

        // The detail of a tile on hover (Architect, sensors, delivery, the night's sparkline), inside the window.
        var tile = page.Locator($"article[data-bed-id='{unackedBed}']");
        await tile.HoverAsync();
        var detail = tile.Locator(".tile-detail");
        await Assertions.Expect(detail).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(detail).ToContainTextAsync("Architect", new() { Timeout = Timeout });
        var box = (await detail.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.Y >= 0 && box.X + box.Width <= width && box.Y + box.Height <= height, $"detail at {box.X},{box.Y} {box.Width}x{box.Height}");
        Assert.Equal(0, await page.EvaluateAsync<double>("() => scrollY"));
    }
}

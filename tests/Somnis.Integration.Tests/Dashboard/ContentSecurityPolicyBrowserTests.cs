using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Dashboard;

/// <summary>
/// Every page of the dashboard, used as a supervisor uses it, under the strict Content-Security-Policy the hub is to send
/// (docs/dashboard.md, "Browser security"): no inline script or style, no eval, nothing from elsewhere. Any violation
/// the browser reports, and any script error, fails the test.
/// </summary>
[Collection("processes")]
public sealed class ContentSecurityPolicyBrowserTests
{
    private const int Timeout = 30_000;

    [Fact]
    public async Task Every_page_works_under_a_strict_content_security_policy_without_a_violation()
    {
        // Two simulated beds (charts, a report), a bed the test takes offline (a high-priority alarm to act on), and
        // sleepers with nights of record (the sleepers, sleeper and study pages).
        StudyNights seeded = null!;
        await using var hub = await HubProcess.StartSeededAsync(dir => seeded = StudyNights.Write(dir, sleepers: 4, nights: 6), "--beds", "2", "--speed", "600", "--seed", "3",
            "--Alarms:Types:edge-offline:Priority", "high", "--Alarms:Types:edge-offline:OnDelay", "00:00:01", "--Beds:StaleAfter", "01:00:00");
        await using var edge = await FakeEdge.ConnectAsync(hub.BrokerPort);
        await edge.OnlineAsync("bed-x");
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Any(b => b.GetProperty("id").GetString() == "bed-x"), TimeSpan.FromSeconds(30), "bed-x at the hub");
        await edge.OfflineAsync("bed-x");
        var alarm = await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alarms?type=edge-offline&bed=bed-x&state=open"))!.FirstOrDefault() is { ValueKind: JsonValueKind.Object } a ? a.GetProperty("id").GetString() : null,
            TimeSpan.FromSeconds(30),
            "bed-x's edge-offline alarm");

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var csp = await StrictCsp.ApplyAsync(context);
        var page = await context.NewPageAsync();

        // Sign-in page, with its error, then the console (reached again by navigating: a redirect is not routed).
        await page.GotoAsync(hub.Url + "/login");
        await page.FillAsync("input[name=username]", "supervisor");
        await page.FillAsync("input[name=password]", "not-the-password");
        await page.ClickAsync("button[type=submit]");
        await page.Locator("[role=alert]").WaitForAsync(new() { Timeout = Timeout });
        await page.FillAsync("input[name=username]", "supervisor");
        await page.FillAsync("input[name=password]", "somnis-demo");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(hub.Url + "/", new() { Timeout = Timeout });
        await page.GotoAsync(hub.Url + "/");

        // Console: tiles, the alarm list and sound, a tile's detail, the shelve dialog.
        await page.WaitForSelectorAsync("[data-bed-id='bed-01'][data-availability='online']", new() { Timeout = Timeout });
        await page.WaitForSelectorAsync($"[data-bed-id='bed-x'] .tile-alarm[data-alarm-id='{alarm}'][data-priority='high']", new() { Timeout = Timeout });
        await page.WaitForSelectorAsync("body[data-alarms-ready='true']", new() { Timeout = Timeout });
        await page.ClickAsync("#audio-toggle");
        await page.WaitForSelectorAsync("#audio[data-audio-state='on']", new() { Timeout = Timeout });
        await page.Locator("[data-bed-id='bed-01']").HoverAsync();
        await Assertions.Expect(page.Locator("[data-bed-id='bed-01'] .tile-detail")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await page.Locator($".alarm[data-alarm-id='{alarm}'] > button[data-action='shelve']").ClickAsync();
        await Assertions.Expect(page.Locator("#alarm-dialog")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#alarm-dialog")).ToBeHiddenAsync(new() { Timeout = Timeout });

        // Bed detail with its charts, the handover, the night report.
        await page.GotoAsync(hub.Url + "/bed.html?id=bed-01");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('hypnogram').dataset.epochs) > 0", null, new() { Timeout = Timeout });
        await page.WaitForFunctionAsync("() => (document.querySelector('#chart-hr path.line')?.getAttribute('d') ?? '').length > 10", null, new() { Timeout = Timeout });
        await page.GotoAsync(hub.Url + "/handover.html");
        await page.Locator($"tbody[data-group='open'] tr[data-alarm-id='{alarm}']").WaitForAsync(new() { Timeout = Timeout });
        await page.GotoAsync(hub.Url + "/report.html?bed=bed-01");
        await page.WaitForSelectorAsync("body[data-loaded='true'] tr[data-bed-id='bed-01']", new() { Timeout = Timeout });
        await page.WaitForSelectorAsync("#connection[data-state='live']", new() { Timeout = Timeout });
        await page.WaitForFunctionAsync("() => document.querySelector('#hypnograms svg[data-epochs]') !== null", null, new() { Timeout = Timeout });

        // Sleepers (a refused transfer shown in the hub's words), the study with its plots, a sleeper's night.
        await page.GotoAsync(hub.Url + "/sleepers.html");
        await page.WaitForSelectorAsync("body[data-loaded='true'] #sleepers tr[data-sleeper-id]", new() { Timeout = Timeout });
        await page.SelectOptionAsync("#admit select[name=sleeper]", seeded.Sleepers[0].Id);
        await page.CheckAsync("#admit input[name=transfer]");
        await page.ClickAsync("#admit button[type=submit]");
        await Assertions.Expect(page.Locator("#admit .form-error")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await page.GotoAsync($"{hub.Url}/study.html?{seeded.StudyQuery}");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        Assert.True(await page.Locator("#plot-efficiency circle.dot").CountAsync() > 0);
        var night = (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/sleepers/{seeded.Sleepers[0].Id}/nights?limit=1"))![0].GetProperty("id").GetString()!;
        await page.GotoAsync($"{hub.Url}/sleeper.html?id={seeded.Sleepers[0].Id}&night={Uri.EscapeDataString(night)}");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('night-hypnogram').dataset.epochs) > 0", null, new() { Timeout = Timeout });
        await page.Locator("#trend-tst circle.dot").First.ClickAsync();

        Assert.Empty(csp.Problems);
        Assert.Superset(new HashSet<string> { "GET /login", "POST /login", "GET /", "GET /bed.html", "GET /handover.html", "GET /report.html", "GET /sleepers.html", "GET /study.html", "GET /sleeper.html" },
            csp.Pages.ToHashSet());

        // The check can fail: an inline style, which the policy forbids, is reported.
        await page.EvaluateAsync("() => { const p = document.createElement('p'); p.setAttribute('style', 'color: red'); document.body.append(p); }");
        await Eventually.UntilAsync(() => Task.FromResult(csp.Problems.Any(p => p.Contains("style-src", StringComparison.Ordinal))), TimeSpan.FromSeconds(60), "the inline style to be reported");
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Alarms;

/// <summary>
/// The alarm dashboard in a real Chromium with a simulated Architect-deprivation night: the bed tile shows its highest
/// alarm, the list acknowledges it; the bed's alarm timeline shows it on the hypnogram's time axis; the night report
/// (page and CSV) lists it with the acknowledgement.
/// </summary>
[Collection("processes")]
public sealed class AlarmDashboardTests
{
    private const int Timeout = 30_000;

    [Fact]
    public async Task Deprivation_alarm_is_acknowledged_from_the_list_then_shown_on_the_bed_timeline_and_in_the_night_report()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "2", "--scenario", "architect-deprivation", "--speed", "300", "--seed", "3", "--Alarms:AutoInterlock", "false");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 720 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.ClickAsync("#audio-toggle");

        var tile = page.Locator("[data-bed-id='bed-01'] .tile-alarm[data-alarm-id][data-priority='high']");
        await tile.WaitForAsync(new() { Timeout = 90_000 });
        var id = await tile.GetAttributeAsync("data-alarm-id");
        var item = page.Locator($".alarm[data-alarm-id='{id}']");
        Assert.Equal("architect-deprivation", await item.GetAttributeAsync("data-type"));

        // The moment of acknowledging, from the keyboard: focus on the alarm's Acknowledge button, then Enter.
        var ack = item.Locator(":scope > button[data-action='ack']");
        await page.Keyboard.PressAsync("Shift");
        await ack.FocusAsync();
        await Browser.ScreenshotAsync(page, "alarm-acknowledge.png");
        await ack.PressAsync("Enter");

        var raised = await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={id}"))!
                .Any(e => e.GetProperty("action").GetString() == "acknowledged" && e.GetProperty("actor").GetString() == "technician")
                    ? (await hub.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("raisedEventTime").GetDateTimeOffset().ToString("O", System.Globalization.CultureInfo.InvariantCulture)
                    : null,
            TimeSpan.FromSeconds(20),
            "the acknowledgement in the audit trail");
        await page.WaitForSelectorAsync($".alarm[data-alarm-id='{id}'][data-state='active-acknowledged']", new() { Timeout = Timeout });
        await Browser.ScreenshotAsync(page, "alarms.png");

        // Bed detail: the alarm on the timeline, on the same time axis as the hypnogram (identical grid lines), and listed.
        await page.GotoAsync(hub.Url + "/bed.html?id=bed-01");
        var timeline = page.Locator("[data-hook='alarm-timeline']");
        await timeline.Locator($"rect.alarm-bar[data-alarm-id='{id}'][data-priority='high']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Timeout });
        Assert.Contains("✓ ack technician", await timeline.Locator($"li[data-alarm-id='{id}']").InnerTextAsync(), StringComparison.Ordinal);
        var axes = await page.EvaluateAsync<string[]>("""
            () => ['hypnogram', 'chart-alarms'].map(id => [...document.getElementById(id).querySelectorAll('line.grid')]
              .filter(l => l.getAttribute('x1') === l.getAttribute('x2')).map(l => l.getAttribute('x1')).join(' '))
            """);
        Assert.NotEqual("", axes[0]);
        Assert.Equal(axes[0], axes[1]);
        await Browser.ScreenshotAsync(page, "bed-alarm-timeline.png");

        // Night report of the night the alarm was raised in: the alarm and the acknowledgement, on the page and in the CSV.
        var t = DateTimeOffset.Parse(raised, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime;
        var night = DateOnly.FromDateTime(t).AddDays(t.Hour < 12 ? -1 : 0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await page.GotoAsync($"{hub.Url}/report.html?date={night}&bed=bed-01");
        var section = page.Locator("[data-hook='report-alarms']");
        await section.Locator($"#report-alarms tr[data-alarm-id='{id}'][data-priority='high']").WaitForAsync(new() { Timeout = Timeout });
        Assert.Contains("technician", await section.Locator($"#report-actions tr[data-alarm-id='{id}'][data-action='acknowledged']").InnerTextAsync(), StringComparison.Ordinal);
        // Tall enough for the metrics and the alarms and actions below them.
        await page.SetViewportSizeAsync(1280, 1150);
        await Browser.ScreenshotAsync(page, "night-report.png");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#csv"));
        Assert.Equal($"somnis-night-{night}-bed-01.csv", download.SuggestedFilename);
        var csv = await File.ReadAllLinesAsync(await download.PathAsync());
        Assert.EndsWith(",assessments,alarms,actions", csv[0], StringComparison.Ordinal);
        var line = Assert.Single(csv, l => l.StartsWith($"{night},bed-01,", StringComparison.Ordinal) && l.Contains("high architect-deprivation", StringComparison.Ordinal));
        Assert.Contains(" technician acknowledged architect-deprivation: after ", line, StringComparison.Ordinal);
    }
}

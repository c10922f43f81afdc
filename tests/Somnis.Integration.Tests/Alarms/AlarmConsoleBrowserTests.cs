using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Alarms;

/// <summary>
/// The alarm console in Debian's Chromium, with alarms the test raises when it wants: beds whose retained status a
/// <see cref="FakeEdge"/> turns offline, and the hub configured to make edge-offline a high-priority alarm raised after
/// 1 s. Covers the audible cue (new alarms only, never while paused), role restrictions, shelving from the browser and
/// the shift handover.
/// </summary>
[Collection("processes")]
public sealed class AlarmConsoleBrowserTests
{
    private const int Timeout = 30_000;

    // The fake beds send no vitals: StaleAfter 1 h keeps stale-data alarms out of a slow run.
    private static readonly string[] Facility =
        ["--beds", "0", "--Alarms:Types:edge-offline:Priority", "high", "--Alarms:Types:edge-offline:OnDelay", "00:00:01", "--Beds:StaleAfter", "01:00:00"];

    private static readonly string[] Beds = ["bed-a", "bed-b", "bed-c"];

    private static async Task<string> OfflineAlarmAsync(HubProcess hub, FakeEdge edge, string bed)
    {
        await edge.OfflineAsync(bed);
        return await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/alarms?type=edge-offline&bed={bed}&state=open"))!.FirstOrDefault() is { ValueKind: JsonValueKind.Object } a
                ? a.GetProperty("id").GetString()
                : null,
            TimeSpan.FromSeconds(30),
            $"an edge-offline alarm on {bed}");
    }

    private static async Task<(HubProcess Hub, FakeEdge Edge)> FacilityAsync()
    {
        var hub = await HubProcess.StartAsync(Facility);
        var edge = await FakeEdge.ConnectAsync(hub.BrokerPort);
        foreach (var bed in Beds)
        {
            await edge.OnlineAsync(bed);
        }

        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Count(b => b.GetProperty("online").GetBoolean()) == Beds.Length, TimeSpan.FromSeconds(30), "three beds online");
        return (hub, edge);
    }

    private static Task<string?> AudioAsync(IPage page, string attribute) => page.GetAttributeAsync("#audio", attribute);

    private static Task WaitAsync(IPage page, string condition, object? arg = null) =>
        page.WaitForFunctionAsync(condition, arg, new() { Timeout = Timeout });

    private static Task<int> PostStatusAsync(IPage page, string url, object body) =>
        page.EvaluateAsync<int>("([url, body]) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(r => r.status)", new object[] { url, body });

    [Fact]
    public async Task Technician_hears_new_high_alarms_only_not_while_audio_is_paused_and_cannot_do_supervisor_actions()
    {
        var (hub, edge) = await FacilityAsync();
        await using var _hub = hub;
        await using var _edge = edge;
        var existing = await OfflineAlarmAsync(hub, edge, "bed-a");

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.WaitForSelectorAsync($".alarm[data-alarm-id='{existing}'][data-priority='high']", new() { Timeout = Timeout });
        await page.WaitForSelectorAsync("body[data-alarms-ready='true']", new() { Timeout = Timeout });

        // Sound starts off, and says so; turning it on is the user's gesture. The high alarm already open makes no sound.
        Assert.Equal("off", await AudioAsync(page, "data-audio-state"));
        Assert.Equal("🔇 Sound off", await page.Locator("#audio-status").TextContentAsync());
        await page.ClickAsync("#audio-toggle");
        await page.WaitForSelectorAsync("#audio[data-audio-state='on']", new() { Timeout = Timeout });
        Assert.Equal("true", await page.GetAttributeAsync("#audio-toggle", "aria-pressed"));
        Assert.Equal("0", await AudioAsync(page, "data-cues"));

        // Roles: a technician may neither shelve a high-priority alarm nor command an Architect. The controls are
        // disabled or absent, and the API refuses this browser's session with 403 all the same.
        var row = page.Locator($".alarm[data-alarm-id='{existing}']");
        Assert.True(await row.Locator(":scope > button[data-action='shelve']").IsDisabledAsync());
        Assert.True(await row.Locator(":scope > button[data-action='ack']").IsEnabledAsync());
        Assert.Equal(0, await page.Locator("button[data-action^='architect-']").CountAsync());
        Assert.Equal(403, await PostStatusAsync(page, $"/api/alarms/{existing}/shelve", new { reason = "trying", minutes = 30 }));
        Assert.Equal(403, await PostStatusAsync(page, "/api/beds/bed-a/architect/pause", new { reason = "trying" }));
        Assert.Equal("active-unacknowledged", (await hub.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{existing}")).GetProperty("state").GetString());

        // A new high-priority alarm: one cue, for that alarm.
        var fresh = await OfflineAlarmAsync(hub, edge, "bed-b");
        await WaitAsync(page, "() => document.getElementById('audio').dataset.cues === '1'");
        Assert.Equal(fresh, await AudioAsync(page, "data-last-cue-alarm"));

        // Audio paused for 2 min, with a countdown: the next new alarm is shown but withheld.
        await page.ClickAsync("#audio-pause");
        await page.WaitForSelectorAsync("#audio[data-audio-state='paused']", new() { Timeout = Timeout });
        Assert.Matches(@"^🔕 Audio paused (2:00|1:[0-5]\d)$", await page.Locator("#audio-status").TextContentAsync());
        Assert.Equal("▶ Resume audio", await page.Locator("#audio-pause").TextContentAsync());
        var held = await OfflineAlarmAsync(hub, edge, "bed-c");
        await page.WaitForSelectorAsync($".alarm[data-alarm-id='{held}']", new() { Timeout = Timeout });
        await WaitAsync(page, "() => document.getElementById('audio').dataset.cuesSilenced === '1'");
        Assert.Equal("1", await AudioAsync(page, "data-cues"));

        // Ending the pause: what is still unacknowledged sounds once, as a monitor's audio-paused ends.
        await page.ClickAsync("#audio-pause");
        await WaitAsync(page, "() => document.getElementById('audio').dataset.cues === '2'");
        Assert.Equal("on", await AudioAsync(page, "data-audio-state"));

        // Acknowledging from the list is allowed, and makes no sound.
        await page.Locator($".alarm[data-alarm-id='{held}'] > button[data-action='ack']").ClickAsync();
        await page.WaitForSelectorAsync($".alarm[data-alarm-id='{held}'][data-state='active-acknowledged']", new() { Timeout = Timeout });
        Assert.Equal("2", await AudioAsync(page, "data-cues"));

        // The choice is kept by this browser. After a reload the browser needs a gesture before it allows sound (the
        // console says so), and the alarms already open make no sound.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-alarms-ready='true']", new() { Timeout = Timeout });
        Assert.Equal("blocked", await AudioAsync(page, "data-audio-state"));
        Assert.Contains("click anywhere", await page.Locator("#audio-status").TextContentAsync() ?? "", StringComparison.Ordinal);
        await page.Locator("#alarm-count").ClickAsync();
        await page.WaitForSelectorAsync("#audio[data-audio-state='on']", new() { Timeout = Timeout });
        Assert.Equal("0", await AudioAsync(page, "data-cues"));
    }

    [Fact]
    public async Task Supervisor_shelves_a_high_alarm_in_the_browser_and_the_handover_lists_open_shelved_and_cleared_alarms()
    {
        var (hub, edge) = await FacilityAsync();
        await using var _hub = hub;
        await using var _edge = edge;
        var toShelve = await OfflineAlarmAsync(hub, edge, "bed-a");
        var toClear = await OfflineAlarmAsync(hub, edge, "bed-b");
        await edge.OnlineAsync("bed-b");
        await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{toClear}")).GetProperty("state").GetString() == "cleared",
            TimeSpan.FromSeconds(30),
            "bed-b's alarm to clear once it is back online");
        var stillOpen = await OfflineAlarmAsync(hub, edge, "bed-c");

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1024, Height = 768 } });
        await Browser.SignInAsync(page, hub.Url, "supervisor");
        var row = page.Locator($".alarm[data-alarm-id='{toShelve}']");
        await row.WaitForAsync(new() { Timeout = Timeout });

        // The offline beds' tiles carry their alarm, also for beds that sent nothing since the page loaded.
        await page.Locator($"[data-bed-id='bed-a'] .tile-alarm[data-alarm-id='{toShelve}'][data-priority='high']").WaitForAsync(new() { Timeout = Timeout });
        await page.Locator($"[data-bed-id='bed-c'] .tile-alarm[data-alarm-id='{stillOpen}']").WaitForAsync(new() { Timeout = Timeout });

        // Supervisors get the controls technicians do not: shelving a high alarm, the Architect on every tile.
        // (Drawn once /api/me has answered, which may be after the alarms: waited for.)
        await Assertions.Expect(page.Locator("button[data-action='architect-pause']")).ToHaveCountAsync(Beds.Length, new() { Timeout = Timeout });
        await row.Locator(":scope > button[data-action='shelve']").ClickAsync();
        var dialog = page.Locator("#alarm-dialog");
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = Timeout });
        Assert.Equal("Shelve alarm", await dialog.Locator("h2").TextContentAsync());
        await dialog.Locator("input[name=reason]").FillAsync("edge power cycled by facilities");
        await dialog.Locator("select[name=minutes]").SelectOptionAsync("60");
        await dialog.Locator("button[value=ok]").ClickAsync();
        await page.WaitForSelectorAsync($".alarm[data-alarm-id='{toShelve}'][data-state='shelved']", new() { Timeout = Timeout });
        Assert.False(await dialog.IsVisibleAsync());
        Assert.True(await page.Locator($".alarm[data-alarm-id='{toShelve}'] > button[data-action='unshelve']").IsEnabledAsync());
        // Shelved: not on the tile any more.
        await page.Locator("[data-bed-id='bed-a'] .tile-alarm").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = Timeout });
        var audit = await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={toShelve}");
        var shelved = Assert.Single(audit!, e => e.GetProperty("action").GetString() == "shelved");
        Assert.Equal(("supervisor", "for 60 min: edge power cycled by facilities"), (shelved.GetProperty("actor").GetString(), shelved.GetProperty("detail").GetString()));
        const string NoOverflow = "() => document.documentElement.scrollWidth <= window.innerWidth";
        Assert.True(await page.EvaluateAsync<bool>(NoOverflow), "console with alarms overflows 1024 px");

        // Handover: each alarm in its group, with who did what; the bed with an unacknowledged alarm needs attention.
        await page.GotoAsync(hub.Url + "/handover.html");
        var table = page.Locator("[data-hook='handover-alarms']");
        await table.Locator($"tbody[data-group='open'] tr[data-alarm-id='{stillOpen}']").WaitForAsync(new() { Timeout = Timeout });
        Assert.Contains("shelved by supervisor", await table.Locator($"tbody[data-group='shelved'] tr[data-alarm-id='{toShelve}']").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await table.Locator($"tbody[data-group='cleared'] tr[data-alarm-id='{toClear}']").CountAsync());
        Assert.Equal(3, await table.Locator("tr[data-alarm-id]").CountAsync());
        Assert.Contains("🔔", await page.Locator("#attention li[data-bed-id='bed-c']").InnerTextAsync(), StringComparison.Ordinal);
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        Assert.True(await page.EvaluateAsync<bool>(NoOverflow), "handover overflows 1024 px");
        await Browser.ScreenshotAsync(page, "handover.png");
    }
}

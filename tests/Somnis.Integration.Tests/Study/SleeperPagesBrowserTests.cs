using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Study;

/// <summary>
/// The sleepers' pages in Debian's Chromium against a hub with two simulated beds and nights of record written through
/// the store: a supervisor creates and admits sleepers from the sleepers page (a refusal shown in the API's words), their
/// names stand next to their beds (console tile, bed detail, night report with each bed's hypnogram), and a sleeper's
/// page shows their nights as a trend with each night's hypnogram one click away. A technician's page offers no
/// supervisor's form, and the API refuses the request anyway.
/// </summary>
[Collection("processes")]
public sealed class SleeperPagesBrowserTests
{
    private const int Timeout = 30_000;

    private static Task WaitAsync(IPage page, string condition, object? arg = null) =>
        page.WaitForFunctionAsync(condition, arg, new() { Timeout = Timeout });

    [Fact]
    public async Task Sleepers_are_admitted_from_their_page_named_beside_their_beds_and_their_nights_open_as_hypnograms()
    {
        StudyNights seeded = null!;
        await using var hub = await HubProcess.StartSeededAsync(dir => seeded = StudyNights.Write(dir, sleepers: 4, nights: 14), "--beds", "2", "--speed", "600", "--seed", "3");
        var (ada, adaName) = seeded.Sleepers[0];
        var (bruno, _) = seeded.Sleepers[1];
        // Tonight's night has begun on bed-01 (the report draws its hypnogram).
        await Eventually.UntilAsync(async () => (await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01/night")).GetProperty("epochs").GetArrayLength() > 10,
            TimeSpan.FromSeconds(60), "tonight's epochs on bed-01");

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await Browser.SignInAsync(page, hub.Url, "supervisor");

        // The sleepers page: create one, admit two, and a refusal (an occupied bed) in the API's words.
        await page.GotoAsync(hub.Url + "/sleepers.html");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        Assert.Equal(4, await page.Locator("#sleepers tbody tr[data-sleeper-id]").CountAsync());
        await page.FillAsync("#create input[name=name]", "Mira Kovac");
        await page.SelectOptionAsync("#create select[name=program]", "companions");
        await page.ClickAsync("#create button[type=submit]");
        await Assertions.Expect(page.Locator("#done")).ToHaveTextAsync("Created Mira Kovac.", new() { Timeout = Timeout });
        await page.Locator("#sleepers tr[data-sleeper-id='mira-kovac']").WaitForAsync(new() { Timeout = Timeout });

        await Admit(page, ada, "nexus/bed-01");
        await WaitAsync(page, "() => document.getElementById('done').textContent.startsWith('Admitted') || !document.querySelector('#admit .form-error').hidden");
        Assert.Equal("", await page.Locator("#admit .form-error").TextContentAsync());
        Assert.Equal($"Admitted {adaName} to bed-01.", await page.Locator("#done").TextContentAsync());
        await page.Locator($"#sleepers tr[data-sleeper-id='{ada}'][data-bed-id='bed-01']").WaitForAsync(new() { Timeout = Timeout });
        await Admit(page, "mira-kovac", "nexus/bed-01");
        var occupied = await hub.Http.PostAsJsonAsync("/api/beds/bed-01/admit?facility=nexus", new { sleeper = "mira-kovac" });
        var refusal = (await occupied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.Contains("bed-01", refusal, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#admit .form-error")).ToHaveTextAsync(refusal, new() { Timeout = Timeout });
        await Admit(page, "mira-kovac", "nexus/bed-02");
        await page.Locator("#sleepers tr[data-sleeper-id='mira-kovac'][data-bed-id='bed-02']").WaitForAsync(new() { Timeout = Timeout });

        // Names beside the beds, as the API names who is admitted: console tiles, then the bed's page.
        async Task<string> NameOf(string id) => (await hub.Http.GetFromJsonAsync<JsonElement>($"/api/sleepers/{id}")).GetProperty("name").GetString()!;
        await page.GotoAsync(hub.Url + "/");
        await Assertions.Expect(page.Locator("[data-bed-id='bed-01'] .sleeper")).ToHaveTextAsync(await NameOf(ada), new() { Timeout = Timeout });
        await Assertions.Expect(page.Locator("[data-bed-id='bed-02'] .sleeper")).ToHaveTextAsync(await NameOf("mira-kovac"), new() { Timeout = Timeout });
        Assert.Equal(ada, await page.GetAttributeAsync("[data-bed-id='bed-01']", "data-sleeper-id"));
        Assert.Contains(adaName, await page.GetAttributeAsync("[data-bed-id='bed-01']", "aria-label") ?? "", StringComparison.Ordinal);
        await page.GotoAsync(hub.Url + "/bed.html?id=bed-01");
        await Assertions.Expect(page.Locator("#sleeper a")).ToHaveTextAsync(adaName, new() { Timeout = Timeout });

        // The night report draws each bed's hypnogram (tonight's from the live night while the store has none of it yet),
        // and names the sleeper where the report's rows say who slept there.
        await page.GotoAsync(hub.Url + "/report.html?bed=bed-01");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        await WaitAsync(page, "() => Number(document.querySelector(\"#hypnograms figure[data-bed-id='bed-01'] svg\")?.dataset.epochs) > 0");
        Assert.True(await page.Locator("#hypnograms figure[data-bed-id='bed-01'] rect.epoch").CountAsync() > 0);
        await page.GotoAsync(hub.Url + "/report.html");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        await WaitAsync(page, "() => document.querySelectorAll('#hypnograms svg[data-epochs]').length === document.querySelectorAll('#hypnograms figure').length");
        await page.Locator("[data-hook='report-hypnograms']").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "night-report-hypnograms.png");
        var report = await hub.Http.GetFromJsonAsync<JsonElement>("/api/reports/night.json?bed=bed-01");
        if (report.GetProperty("rows")[0].TryGetProperty("sleeper", out var who) && who.ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(who.GetProperty("name").GetString(), await page.Locator("#rows tbody tr[data-bed-id='bed-01'] td:nth-child(2)").First.TextContentAsync());
        }

        // A sleeper's page: the trend has a dot per night, the table a row per night; a dot opens that night's hypnogram.
        var trend = await hub.Http.GetFromJsonAsync<JsonElement>($"/api/sleepers/{bruno}/trend");
        var nights = trend.GetProperty("nights").GetArrayLength();
        Assert.Equal(14, nights);
        await page.GotoAsync($"{hub.Url}/sleeper.html?id={bruno}");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        foreach (var chart in new[] { "#trend-tst", "#trend-efficiency", "#trend-debt" })
        {
            Assert.Equal(nights, await page.Locator($"{chart} circle.dot").CountAsync());
        }

        Assert.Equal(nights, await page.Locator("#nights tbody tr[data-night-id]").CountAsync());
        var stimulated = page.Locator("#trend-tst circle[data-stimulated='true']").First;
        var nightId = (await stimulated.GetAttributeAsync("data-night-id"))!;
        await stimulated.ClickAsync();
        await page.Locator("#night:not([hidden])").WaitForAsync(new() { Timeout = Timeout });
        var stored = await hub.Http.GetFromJsonAsync<JsonElement>("/api/nights/" + nightId);
        await WaitAsync(page, "(n) => Number(document.getElementById('night-hypnogram').dataset.epochs) === n", stored.GetProperty("epochs").GetArrayLength());
        Assert.True(await page.Locator("#night-hypnogram rect.stim").CountAsync() > 0, "the Architect's stimulation is shaded");
        Assert.Contains("night=" + Uri.EscapeDataString(nightId), page.Url, StringComparison.Ordinal);
        Assert.Equal("true", await page.GetAttributeAsync($"#nights tr[data-night-id='{nightId}']", "data-selected"));
        await page.SetViewportSizeAsync(1280, 1300);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await Browser.ScreenshotAsync(page, "sleeper.png");

        // The table's button opens another night.
        var last = page.Locator("#nights tbody tr[data-night-id]").Last;
        var lastId = await last.GetAttributeAsync("data-night-id");
        await last.Locator("button[data-action='hypnogram']").ClickAsync();
        await Assertions.Expect(page.Locator("#night")).ToHaveAttributeAsync("data-night-id", lastId!, new() { Timeout = Timeout });

        // A technician: the supervisor's forms are disabled, and the API refuses the same request from this session.
        var technician = await context.Browser!.NewPageAsync();
        await Browser.SignInAsync(technician, hub.Url, "technician");
        await technician.GotoAsync(hub.Url + "/sleepers.html");
        await technician.WaitForSelectorAsync("body[data-loaded='true'][data-role='technician']", new() { Timeout = Timeout });
        Assert.True(await technician.Locator("#create button[type=submit]").IsDisabledAsync());
        Assert.True(await technician.Locator("#program button[type=submit]").IsDisabledAsync());
        Assert.True(await technician.Locator("#create .role-note").IsVisibleAsync());
        Assert.True(await technician.Locator("#admit button[type=submit]").IsEnabledAsync());
        Assert.Equal(403, await technician.EvaluateAsync<int>(
            "() => fetch('/api/sleepers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Nobody', program: 'none' }) }).then(r => r.status)"));
        await technician.CloseAsync();
    }

    private static async Task Admit(IPage page, string sleeper, string bed)
    {
        await page.SelectOptionAsync("#admit select[name=sleeper]", sleeper);
        await page.SelectOptionAsync("#admit select[name=bed]", bed);
        await page.ClickAsync("#admit button[type=submit]");
    }
}

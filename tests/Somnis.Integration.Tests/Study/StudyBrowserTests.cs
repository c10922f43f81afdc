using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Study;

/// <summary>
/// The study page in Debian's Chromium over nights of record written through the store (<see cref="StudyNights"/>):
/// its tables and plots against what <c>/api/study</c> says, the filters, a refused range in the API's words, the CSV
/// download, and the page printed on A4.
/// </summary>
[Collection("processes")]
public sealed class StudyBrowserTests(ITestOutputHelper output)
{
    private const int Timeout = 30_000;

    private static int Count(JsonElement study, Func<JsonElement, bool> which) => study.EnumerateArray().Count(which);

    private static bool Paired(JsonElement sleeper, string key) =>
        sleeper.GetProperty("metrics").GetProperty(key) is var m && m.GetProperty("architect").ValueKind == JsonValueKind.Number && m.GetProperty("natural").ValueKind == JsonValueKind.Number;

    [Fact]
    public async Task The_study_page_draws_its_plots_from_the_nights_of_record_downloads_the_csv_and_prints_on_a4()
    {
        StudyNights seeded = null!;
        await using var hub = await HubProcess.StartSeededAsync(dir => seeded = StudyNights.Write(dir), "--beds", "0");
        var study = await hub.Http.GetFromJsonAsync<JsonElement>("/api/study?" + seeded.StudyQuery);
        var sleepers = study.GetProperty("sleepers");
        Assert.Equal(12, sleepers.GetArrayLength());
        // Seven Architect users and switchers have nights of both kinds (seeded: about two in three of their nights stimulated).
        Assert.Equal(7, study.GetProperty("pooled").GetProperty("tstMin").GetProperty("sleepers").GetInt32());

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1700 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await Browser.SignInAsync(page, hub.Url, "technician");
        await page.GotoAsync($"{hub.Url}/study.html?{seeded.StudyQuery}");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });

        // The pooled table: one row per metric, each with its sentence as the API says it.
        Assert.Equal(9, await page.Locator("#pooled tbody tr").CountAsync());
        var tst = study.GetProperty("pooled").GetProperty("tstMin");
        Assert.Equal(tst.GetProperty("sentence").GetString(), await page.Locator("#pooled tr[data-metric='tstMin'] td").Last.TextContentAsync());
        Assert.Contains($"{tst.GetProperty("sleepers").GetInt32()} ({tst.GetProperty("architectNights").GetInt32()} / {tst.GetProperty("naturalNights").GetInt32()})",
            await page.Locator("#pooled tr[data-metric='tstMin']").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(12, await page.Locator("#per-sleeper tbody tr[data-sleeper-id]").CountAsync());

        // Paired dots: one line and two dots per sleeper with both kinds of nights.
        foreach (var (plot, key) in new[] { ("#plot-tst", "tstMin"), ("#plot-waso", "wasoMin") })
        {
            var paired = Count(sleepers, s => Paired(s, key));
            Assert.Equal(paired, await page.Locator($"{plot} line.pair").CountAsync());
            Assert.Equal(paired, await page.Locator($"{plot} circle.dot.architect").CountAsync());
            Assert.Equal(paired, await page.Locator($"{plot} circle.dot.natural").CountAsync());
        }

        // The cohorts week by week: a line per program, a dot per week and program.
        var weeks = study.GetProperty("weeks");
        Assert.Equal(weeks.EnumerateArray().Select(w => w.GetProperty("program").GetString()).Distinct().Count(), await page.Locator("#plot-weeks path.series").CountAsync());
        Assert.Equal(Count(weeks, w => w.GetProperty("means").GetProperty("tstMin").ValueKind == JsonValueKind.Number), await page.Locator("#plot-weeks circle.dot").CountAsync());
        Assert.Equal(3, await page.Locator("#plot-weeks path.series").CountAsync());

        // Efficiency by program: a dot per sleeper and program, a mean per program with sleepers.
        var byProgram = study.GetProperty("byProgram");
        var members = new[] { "architect", "companions", "none" }.Sum(p => byProgram.GetProperty(p).GetArrayLength());
        Assert.Equal(members, await page.Locator("#plot-efficiency circle.dot").CountAsync());
        Assert.Equal(3, await page.Locator("#plot-efficiency line.mean").CountAsync());
        await Browser.ScreenshotAsync(page, "study.png");

        // The CSV with the same filters, as a download that parses: one line per sleeper, the API's numbers.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#csv"));
        Assert.Equal($"somnis-study-{seeded.From:yyyy-MM-dd}-{seeded.To:yyyy-MM-dd}.csv", download.SuggestedFilename);
        var csv = (await File.ReadAllLinesAsync(await download.PathAsync())).Select(l => l.Split(',')).ToList();
        Assert.Equal(["sleeper", "name", "architectNights", "naturalNights", "otherNights", "tstMinArchitect", "tstMinNatural", "tstMinDiff"], csv[0][..8]);
        Assert.Equal(13, csv.Count);
        Assert.Equal(sleepers.EnumerateArray().Select(s => s.GetProperty("id").GetString()), csv.Skip(1).Select(r => r[0]));
        var first = sleepers[0];
        var row = csv[1];
        Assert.Equal(first.GetProperty("architectNights").GetInt32(), int.Parse(row[2], CultureInfo.InvariantCulture));
        Assert.Equal(first.GetProperty("metrics").GetProperty("tstMin").GetProperty("diff").GetDouble(), double.Parse(row[7], CultureInfo.InvariantCulture), 3);
        Assert.All(csv.Skip(1), r => Assert.Equal(csv[0].Length, r.Length));

        // Filters: Companions nights only (the address and the CSV link follow), then a refused range in the API's words.
        await page.SelectOptionAsync("select[name=program]", "companions");
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForFunctionAsync("() => location.search.includes('program=companions') && document.getElementById('scope').textContent.includes('Companions nights')", null, new() { Timeout = Timeout });
        Assert.Contains("program=companions", await page.GetAttributeAsync("#csv", "href"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#plot-tst line.pair").CountAsync());
        var (late, early) = (seeded.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), seeded.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.FillAsync("input[name=from]", late);
        await page.FillAsync("input[name=to]", early);
        await page.ClickAsync("#filters button[type=submit]");
        var refused = await hub.Http.GetAsync(new Uri($"/api/study?from={late}&to={early}&program=companions", UriKind.Relative));
        var detail = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        await Assertions.Expect(page.Locator("#study-error")).ToHaveTextAsync(detail!, new() { Timeout = Timeout });

        // Printed on A4: no navigation or filters, every plot inside the page's width, a PDF.
        await page.GotoAsync($"{hub.Url}/study.html?{seeded.StudyQuery}");
        await page.WaitForSelectorAsync("body[data-loaded='true']", new() { Timeout = Timeout });
        await page.SetViewportSizeAsync(794, 1123);
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.True(await page.EvaluateAsync<bool>("() => ['.top nav', '#filters'].every(s => getComputedStyle(document.querySelector(s)).display === 'none')"));
        // The sentences as a list under the table (the table keeps the numbers).
        Assert.Equal(9, await page.Locator("#pooled-sentences li").CountAsync());
        Assert.True(await page.Locator("#pooled-sentences").IsVisibleAsync());
        var widths = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('svg.plot')].map(s => s.getBoundingClientRect().right)");
        Assert.Equal(4, widths.Length);
        Assert.All(widths, right => Assert.InRange(right, 100, 794));
        var pdf = await page.PdfAsync(new() { Format = "A4" });
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(pdf, 0, 4));
        output.WriteLine($"study: {study.GetProperty("nights").GetInt32()} nights, PDF {pdf.Length} bytes; {tst.GetProperty("sentence").GetString()}");
    }
}

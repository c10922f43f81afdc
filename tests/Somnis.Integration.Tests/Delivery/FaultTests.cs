using System.Diagnostics;
using System.Text.RegularExpressions;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Delivery;

/// <summary>
/// Point 5 of the delivery issue: real processes, a real Mosquitto, each fault over a simulated night (3 beds at
/// 2000× speed: a night of 8 h is about 2900 sequence numbers per bed, ~15 s of real time), each ending with every
/// sequence number accounted for at the hub: nothing missing, or exactly the gap the edge reported.
/// </summary>
[Collection("processes")]
public sealed partial class FaultTests(ITestOutputHelper output)
{
    private const int Beds = 3;
    private const double Speed = 2000;

    /// <summary>About one simulated night per bed (2880 intervals of 10 s, plus Architect events).</summary>
    private const long Night = 2900;

    [Fact]
    public async Task Broker_killed_and_restarted_three_times_loses_nothing()
    {
        var watch = Stopwatch.StartNew();
        await using var rig = await DeliveryRig.StartAsync(Beds, Speed);
        await rig.WaitForSequenceAsync(300, "data flowing");
        for (var i = 1; i <= 3; i++)
        {
            var failuresBefore = DeliveryRig.Count(rig.EdgeOutput, "cannot reach broker");
            rig.Broker.Kill();
            await rig.WaitForEdgeOutputAsync("cannot reach broker", failuresBefore + Beds, $"the edge to notice broker kill {i}");
            await rig.Broker.RestartAsync();
            await rig.WaitForProgressAsync(300, $"data flowing after broker restart {i}");
        }

        await rig.WaitForSequenceAsync(Night, "a simulated night");
        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();
        Assert.All(beds.Values, d => Assert.Equal(0, d.GetProperty("lost").GetInt64()));
        // Messages the broker acknowledged but lost in a kill come back through resend requests (not every run loses any).
        output.WriteLine($"resend requests: {DeliveryRig.Count(rig.Hub.Process.Output, "asked the edge to resend")}; edge answers: {DeliveryRig.Count(rig.EdgeOutput, "resent from the journal")}");
        Report(watch, beds);
    }

    [Fact]
    public async Task Edge_killed_mid_publish_and_restarted_on_its_journal_loses_nothing_and_reuses_no_number()
    {
        var watch = Stopwatch.StartNew();
        await using var rig = await DeliveryRig.StartAsync(Beds, Speed);
        await rig.WaitForSequenceAsync(300, "data flowing");
        for (var i = 1; i <= 2; i++)
        {
            // Three beds publish ~600 messages/s: kill -9 lands mid-publish.
            await rig.RestartEdgeAfterKillAsync();
            await rig.WaitForEdgeOutputAsync("sequence continues after", i * Beds, $"restart {i} to recover the journal of every bed");
            await rig.WaitForProgressAsync(300, $"data flowing after edge restart {i}");
        }

        await rig.WaitForSequenceAsync(Night, "a simulated night");
        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();
        Assert.All(beds.Values, d => Assert.Equal(0, d.GetProperty("lost").GetInt64()));
        Report(watch, beds);
    }

    [Fact]
    public async Task Hub_killed_and_restarted_twice_loses_no_message_and_no_accounting()
    {
        var watch = Stopwatch.StartNew();
        await using var rig = await DeliveryRig.StartAsync(Beds, Speed);
        await rig.WaitForSequenceAsync(300, "data flowing");
        for (var i = 1; i <= 2; i++)
        {
            await rig.Hub.RestartAsync();
            await rig.WaitForProgressAsync(300, $"data flowing after hub restart {i}");
        }

        await rig.WaitForSequenceAsync(Night, "a simulated night");
        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();
        Assert.All(beds.Values, d => Assert.Equal(0, d.GetProperty("lost").GetInt64()));
        Assert.Contains("Delivery state of", rig.Hub.Process.Output, StringComparison.Ordinal);
        Report(watch, beds);
    }

    [Fact]
    public async Task Network_cut_between_edge_and_broker_is_survived_from_the_journal()
    {
        var watch = Stopwatch.StartNew();
        await using var rig = await DeliveryRig.StartAsync(Beds, Speed, viaProxy: true);
        await rig.WaitForSequenceAsync(300, "data flowing");
        var before = await rig.MinLastSequenceAsync();
        var failuresBefore = DeliveryRig.Count(rig.EdgeOutput, "cannot reach broker");
        var pingsBefore = DeliveryRig.Count(rig.EdgeOutput, "did not answer a ping");
        rig.Proxy!.Cut();
        // Every bed notices the black hole through its keep-alive ping, and its reconnects time out against it.
        // Meanwhile the beds go on measuring into the journal.
        await rig.WaitForEdgeOutputAsync("did not answer a ping", pingsBefore + Beds, "every bed to notice the cut");
        await rig.WaitForEdgeOutputAsync("cannot reach broker", failuresBefore + Beds, "every bed to fail reconnecting through the cut");
        var cutAt = await rig.MinLastSequenceAsync();
        rig.Proxy.Restore();
        await Eventually.UntilAsync(async () => (await rig.Hub.BedsAsync()).All(b => b.GetProperty("online").GetBoolean()), TimeSpan.FromSeconds(120), "every bed online again");
        await rig.WaitForSequenceAsync(Math.Max(Night, cutAt + 1000), "a simulated night");
        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();
        Assert.All(beds.Values, d => Assert.Equal(0, d.GetProperty("lost").GetInt64()));
        output.WriteLine($"cut at sequence ~{cutAt} (started {before}); edge output shows {DeliveryRig.Count(rig.EdgeOutput, "replaying")} reconnect(s)");
        Report(watch, beds);
    }

    [Fact]
    public async Task Journal_bound_reached_during_a_cut_loses_exactly_the_reported_gap()
    {
        var watch = Stopwatch.StartNew();
        // 1000x (100 messages/s per bed): 256 KiB holds ~750 messages, so the bound is reached within seconds of the cut.
        await using var rig = await DeliveryRig.StartAsync(Beds, 1000, viaProxy: true, "--journal-max-bytes", "262144", "--Edge:JournalSegmentBytes", "16384");
        await rig.WaitForSequenceAsync(300, "data flowing");
        rig.Proxy!.Cut();
        await Eventually.UntilAsync(
            () => Task.FromResult(Enumerable.Range(1, Beds).All(i => rig.EdgeOutput.Contains($"Bed bed-0{i} journal: dropped", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(120),
            "every bed's journal to reach its bound and report a drop");
        rig.Proxy.Restore();
        // Progress in data received, not in sequence numbers (gap reports move those too).
        var received = (await rig.DeliveryAsync()).ToDictionary(kv => kv.Key, kv => kv.Value.GetProperty("received").GetInt64());
        await Eventually.UntilAsync(
            async () => (await rig.DeliveryAsync()).All(kv => kv.Value.GetProperty("received").GetInt64() >= received.GetValueOrDefault(kv.Key) + 500),
            TimeSpan.FromSeconds(120),
            "every bed to deliver 500 more messages after the cut");
        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();

        // Exactly the reported gap: the hub's lost count per bed equals the sum of what the edge logged as dropped.
        foreach (var (bed, d) in beds)
        {
            var reported = DroppedLine().Matches(rig.EdgeOutput).Where(m => m.Groups["bed"].Value == bed).Sum(m => long.Parse(m.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(reported > 0, $"{bed}: no drop reported");
            Assert.Equal(reported, d.GetProperty("lost").GetInt64());
        }

        // The technician sees it: the tile says, in words and with an icon, how much is lost.
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 720 } });
        await Browser.SignInAsync(page, rig.Hub.Url, "technician");
        await page.WaitForSelectorAsync("[data-bed-id='bed-01'][data-delivery='incomplete']", new() { Timeout = 30_000 });
        var line = await page.Locator("[data-bed-id='bed-01'] .delivery").InnerTextAsync();
        Assert.Equal($"⚠ Incomplete: {beds["bed-01"].GetProperty("lost").GetInt64()} lost", line);
        Assert.Contains("Incomplete", await page.GetAttributeAsync("[data-bed-id='bed-01']", "aria-label"), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "dashboard-delivery.png");

        Report(watch, beds);
    }

    [Fact]
    public async Task An_unwritable_journal_directory_stops_the_edge_with_a_clear_message()
    {
        var file = Path.GetTempFileName();
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, "--journal", Path.Combine(file, "journal"), "--bed", "bed-01");
        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"--journal: directory '{Path.Combine(file, "journal")}' is not writable", edge.Output, StringComparison.Ordinal);
        File.Delete(file);
    }

    private void Report(Stopwatch watch, Dictionary<string, System.Text.Json.JsonElement> beds)
    {
        output.WriteLine($"took {watch.Elapsed.TotalSeconds:0.0} s");
        foreach (var (bed, d) in beds.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{bed}: {d}");
        }
    }

    [GeneratedRegex(@"Bed (?<bed>[\w-]+) journal: dropped (?<count>\d+) undelivered")]
    private static partial Regex DroppedLine();
}

using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests;

/// <summary>
/// The demo as a new user starts it: a named sleeper in every bed, their past nights in the study before the beds go
/// live, and nothing twice when the hub is killed and started again on the same data.
/// </summary>
[Collection("processes")]
public sealed class DemoStoryTests
{
    [Fact]
    public async Task The_study_has_the_sleepers_past_nights_before_the_beds_start_and_a_restart_adds_none()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "4", "--history-nights", "3", "--speed", "60", "--seed", "2");

        // The beds go live only after the history is written: by then every sleeper has their three past nights.
        await Eventually.UntilAsync(
            async () => (await hub.BedsAsync()).Length == 4 ? "" : null, TimeSpan.FromSeconds(60), "the beds to go live after the history");
        var sleepers = (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/sleepers"))!;
        Assert.Equal(4, sleepers.Length);
        Assert.Equal(["bed-01", "bed-02", "bed-03", "bed-04"],
            sleepers.Select(s => s.GetProperty("admission").GetProperty("bed").GetString()).Order(StringComparer.Ordinal));
        var before = await PastNightsAsync(hub, sleepers);
        Assert.Equal(12, before.Count);

        var study = await hub.Http.GetFromJsonAsync<JsonElement>("/api/study");
        Assert.Equal(4, study.GetProperty("sleepers").GetArrayLength());

        await hub.RestartAsync();
        await Eventually.UntilAsync(
            async () => (await hub.BedsAsync()).Length == 4 ? "" : null, TimeSpan.FromSeconds(60), "the beds to go live again");
        Assert.Equal(4, (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/sleepers"))!.Length);
        Assert.Equal(before, await PastNightsAsync(hub, sleepers));
    }

    /// <summary>Every finished night of the sleepers that began before the beds went live (ids, in order).</summary>
    private static async Task<List<string>> PastNightsAsync(HubProcess hub, JsonElement[] sleepers)
    {
        var ids = new List<string>();
        foreach (var sleeper in sleepers)
        {
            var nights = (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/sleepers/{sleeper.GetProperty("id").GetString()}/nights"))!;
            var admitted = sleeper.GetProperty("admission").GetProperty("from").GetDateTimeOffset();
            ids.AddRange(nights
                .Where(n => n.GetProperty("end").ValueKind == JsonValueKind.String && n.GetProperty("start").GetDateTimeOffset() < admitted.AddDays(3).AddHours(6))
                .Select(n => n.GetProperty("id").GetString()!));
        }

        return [.. ids.Order(StringComparer.Ordinal)];
    }
}

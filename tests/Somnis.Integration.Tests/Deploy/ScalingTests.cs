using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Deploy;

/// <summary>docs/scaling.md: one hub per facility, all on one broker, each selecting its facilities by configuration.</summary>
[Collection("processes")]
public sealed class ScalingTests
{
    [Fact]
    public async Task Two_hubs_on_one_broker_each_handle_exactly_their_own_facilitys_beds()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var north = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0", "--Broker:Facilities:0", "north", "--Broker:ClientId", "somnis-hub-north");
        await using var south = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0", "--Broker:Facilities:0", "south", "--Broker:ClientId", "somnis-hub-south");
        await using var northBeds = DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", broker.Url, "--facility", "north", "--beds", "4", "--speed", "60", "--seed", "1");
        await using var southBeds = DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", broker.Url, "--facility", "south", "--beds", "3", "--speed", "60", "--seed", "2");

        static async Task<JsonElement[]> Live(HubProcess hub, int count) => await Eventually.UntilAsync(
            async () => await hub.BedsAsync() is { } beds && beds.Length >= count && beds.All(b => b.GetProperty("received").GetInt64() > 2) ? beds : null,
            TimeSpan.FromSeconds(60),
            $"{count} live beds at the hub on {hub.Url}");

        var n = await Live(north, 4);
        var s = await Live(south, 3);

        // Each hub has only its own facility's beds, all of them, and no bed is handled by both.
        Assert.Equal(4, n.Length);
        Assert.Equal(3, s.Length);
        Assert.All(n, b => Assert.Equal("north", b.GetProperty("facility").GetString()));
        Assert.All(s, b => Assert.Equal("south", b.GetProperty("facility").GetString()));
        var northKeys = n.Select(b => "north/" + b.GetProperty("id").GetString()).ToHashSet();
        var southKeys = s.Select(b => "south/" + b.GetProperty("id").GetString()).ToHashSet();
        Assert.Empty(northKeys.Intersect(southKeys));

        // And nothing of the other facility reached either hub as a reject (they are not subscribed to it at all).
        foreach (var hub in new[] { north, south })
        {
            var ingestion = await hub.Http.GetFromJsonAsync<JsonElement>("/api/ingestion");
            Assert.Empty(ingestion.GetProperty("rejected").EnumerateObject());
        }

        // Both hubs keep their own persistent sessions: restarting one does not disturb the other's beds.
        var southBefore = (await south.BedsAsync()).Sum(b => b.GetProperty("received").GetInt64());
        await north.RestartAsync();
        await Live(north, 4);
        await Eventually.UntilAsync(async () => (await south.BedsAsync()).Sum(b => b.GetProperty("received").GetInt64()) > southBefore + 10, TimeSpan.FromSeconds(30), "south to keep receiving");
        Assert.All(await north.BedsAsync(), b => Assert.Equal("north", b.GetProperty("facility").GetString()));
    }
}

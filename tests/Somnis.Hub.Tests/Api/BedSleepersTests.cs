using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Tests.Sleepers;

namespace Somnis.Hub.Tests.Api;

/// <summary>The beds API names the sleeper admitted to each bed (<c>sleeper: { id, name }</c>, null for an empty bed), so
/// the pages can show the name next to the bed.</summary>
public sealed class BedSleepersTests() : SignedInHubTest
{
    protected override async Task Seed()
    {
        var beds = Hub.Services.GetRequiredService<BedRegistry>();
        foreach (var bed in new[] { "bed-01", "bed-02" })
        {
            beds.ApplyVitals("nexus", new VitalsMessage { Bed = bed, Seq = 1, Ts = SleepersApiTests.T0, IntervalSeconds = 10, SignalQuality = 1, BedPresence = true });
        }

        Assert.Equal(HttpStatusCode.Created, (await Sam.PostAsJsonAsync("/api/sleepers", new { name = "Ada Lovelace", program = "architect" })).StatusCode);
    }

    [Fact]
    public async Task Beds_carry_the_admitted_sleeper_and_an_empty_bed_null()
    {
        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/admit", new { sleeper = "ada-lovelace", from = "2026-03-01T21:00:00Z" })).StatusCode);

        var beds = (await Tess.GetFromJsonAsync<JsonElement[]>("/api/beds"))!.ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.Equal(("ada-lovelace", "Ada Lovelace"), Sleeper(beds["bed-01"]));
        Assert.Equal(JsonValueKind.Null, beds["bed-02"].GetProperty("sleeper").ValueKind);
        // The bed's own fields are as before (the live feed's serialisation).
        Assert.Equal("nexus", beds["bed-01"].GetProperty("facility").GetString());
        Assert.True(beds["bed-01"].GetProperty("online").GetBoolean());

        var one = await Tess.GetFromJsonAsync<JsonElement>("/api/beds/bed-01");
        Assert.Equal(("ada-lovelace", "Ada Lovelace"), Sleeper(one));

        Assert.Equal(HttpStatusCode.OK, (await Tess.PostAsJsonAsync("/api/beds/bed-01/discharge", new { })).StatusCode);
        Assert.Equal(JsonValueKind.Null, (await Tess.GetFromJsonAsync<JsonElement>("/api/beds/bed-01")).GetProperty("sleeper").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await Tess.GetAsync(new Uri("/api/beds/bed-09", UriKind.Relative))).StatusCode);
    }

    private static (string?, string?) Sleeper(JsonElement bed) =>
        (bed.GetProperty("sleeper").GetProperty("id").GetString(), bed.GetProperty("sleeper").GetProperty("name").GetString());
}

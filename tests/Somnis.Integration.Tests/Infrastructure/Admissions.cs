using System.Net.Http.Json;
using System.Text.Json;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>Sleepers admitted through the API, as a supervisor and the bedside staff would, so pages name them beside their beds.</summary>
public static class Admissions
{
    private static readonly string[] First = ["Ada", "Bruno", "Chiara", "Dev", "Elif", "Farah", "Gustav", "Hana", "Ines", "Jonas", "Kofi", "Lena"];

    private static readonly string[] Last = ["Okafor", "Lindqvist", "Rossi", "Malhotra", "Yilmaz", "Haddad-Berglund"];

    /// <summary>Creates a sleeper (names of varied length) for every bed nobody is admitted to and admits them;
    /// returns bed → name of every bed's sleeper. A hub whose beds API does not name sleepers yet gets one per bed.</summary>
    public static async Task<Dictionary<string, string>> FillEveryBedAsync(HubProcess hub)
    {
        using var supervisor = new HttpClient { BaseAddress = new Uri(hub.Url), Timeout = TimeSpan.FromSeconds(10) };
        supervisor.DefaultRequestHeaders.Authorization = HubProcess.BasicAuth("supervisor", "somnis-demo");
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var bed in (await hub.BedsAsync()).OrderBy(b => b.GetProperty("id").GetString(), StringComparer.Ordinal))
        {
            var id = bed.GetProperty("id").GetString()!;
            if (bed.TryGetProperty("sleeper", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                names[id] = s.GetProperty("name").GetString()!;
                continue;
            }

            var name = $"{First[i % First.Length]} {Last[(i / First.Length + i) % Last.Length]}";
            var created = await supervisor.PostAsJsonAsync("/api/sleepers", new { name, program = i % 3 == 0 ? "companions" : "architect" });
            Assert.True(created.IsSuccessStatusCode, $"creating {name}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            var sleeper = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var facility = bed.GetProperty("facility").GetString();
            var admitted = await hub.Http.PostAsJsonAsync($"/api/beds/{id}/admit?facility={facility}", new { sleeper });
            Assert.True(admitted.IsSuccessStatusCode, $"admitting {name} to {id}: {(int)admitted.StatusCode} {await admitted.Content.ReadAsStringAsync()}");
            names[id] = name;
            i++;
        }

        return names;
    }

    /// <summary>Each bed's name on the page as the tiles show it (bed → text of its sleeper line).</summary>
    public const string TileNames = """
        () => Object.fromEntries([...document.querySelectorAll('article[data-bed-id]')].map((t) => [t.dataset.bedId, t.querySelector('.sleeper')?.textContent ?? '']))
        """;
}

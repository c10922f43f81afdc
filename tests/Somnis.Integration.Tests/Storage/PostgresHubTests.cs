using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Storage;

/// <summary>
/// The built hub on <c>Store:Provider postgres</c>, as its own process: alarms, acknowledgements, sleepers and admissions
/// and users land in PostgreSQL (not in the node's file) and a restarted hub finds them there; a store it cannot use stops it with
/// exit code 2 and a message naming the setting.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHubTests(PostgresFixture postgres)
{
    private const string Bed = "bed-a";

    // No vitals from the fake bed: StaleAfter 1 h keeps stale-data alarms out of a slow run.
    private static readonly string[] Facility =
        ["--beds", "0", "--Alarms:Types:edge-offline:OnDelay", "00:00:01", "--Beds:StaleAfter", "01:00:00"];

    private static string[] OnPostgres(string connectionString) => ["--Store:Provider", "postgres", "--Store:ConnectionString", connectionString];

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Alarms_acknowledgements_sleepers_and_admissions_land_in_postgres_and_a_restarted_hub_carries_on_from_there()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("hub");
        await using var hub = await HubProcess.StartAsync([.. Facility, .. OnPostgres(cs)]);
        await using var edge = await FakeEdge.ConnectAsync(hub.BrokerPort);
        await edge.OnlineAsync(Bed);
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Any(b => b.GetProperty("online").GetBoolean()), TimeSpan.FromSeconds(60), "the bed online");
        await edge.OfflineAsync(Bed);
        var id = await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/alarms?type=edge-offline&bed={Bed}&state=open"))!.FirstOrDefault() is { ValueKind: JsonValueKind.Object } a
                ? a.GetProperty("id").GetString()
                : null,
            TimeSpan.FromSeconds(60),
            "an edge-offline alarm");
        Assert.Equal(HttpStatusCode.OK, (await hub.Http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "power cycling the edge" })).StatusCode);

        using var supervisor = new HttpClient { BaseAddress = new Uri(hub.Url), Timeout = TimeSpan.FromSeconds(10) };
        supervisor.DefaultRequestHeaders.Authorization = HubProcess.BasicAuth("supervisor", "somnis-demo");
        var created = await supervisor.PostAsJsonAsync("/api/sleepers", new { id = "ada", name = "Ada", program = "architect" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var admitted = await supervisor.PostAsJsonAsync($"/api/beds/{Bed}/admit", new { sleeper = "ada" });
        Assert.True(admitted.IsSuccessStatusCode, await admitted.Content.ReadAsStringAsync());

        // In PostgreSQL, with the acknowledgement inside the alarm's record and in the audit trail ...
        Assert.Equal(1, await CountAsync(cs, $"SELECT count(*) FROM alarms WHERE id = '{id}' AND NOT closed AND json LIKE '%\"ackComment\":\"power cycling the edge\"%'"));
        Assert.Equal(1, await CountAsync(cs, $"SELECT count(*) FROM audit WHERE alarm_id = '{id}' AND action = 'acknowledged' AND actor = 'technician'"));
        Assert.Equal(1, await CountAsync(cs, "SELECT count(*) FROM sleepers WHERE id = 'ada'"));
        Assert.Equal(1, await CountAsync(cs, $"SELECT count(*) FROM admissions WHERE sleeper_id = 'ada' AND bed = '{Bed}' AND to_at IS NULL"));
        // The users seeded from Auth:Users, with their audit entries: shared by every node.
        Assert.Equal(1, await CountAsync(cs, "SELECT count(*) FROM users WHERE name = 'supervisor' AND role = 'supervisor'"));
        Assert.True(await CountAsync(cs, "SELECT count(*) FROM audit WHERE action LIKE 'user-%'") > 0);
        // ... and not in the node's own file, which keeps raw vitals only.
        await using (var file = new SqliteConnection($"Data Source={Path.Combine(hub.DataDirectory, "somnis.db")};Mode=ReadOnly;Pooling=False"))
        {
            await file.OpenAsync();
            await using var cmd = file.CreateCommand();
            cmd.CommandText = "SELECT (SELECT count(*) FROM alarms) + (SELECT count(*) FROM audit) + (SELECT count(*) FROM sleepers) + (SELECT count(*) FROM users);";
            Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        }

        // kill -9 and start again: the open alarm is loaded from PostgreSQL, still acknowledged, and not raised again.
        await hub.RestartAsync();
        var after = await hub.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
        Assert.Equal(("active-acknowledged", "power cycling the edge"), (after.GetProperty("state").GetString(), after.GetProperty("ackComment").GetString()));
        Assert.Single((await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/alarms?type=edge-offline&bed={Bed}"))!);
        Assert.Equal("ada", (await supervisor.GetFromJsonAsync<JsonElement>("/api/sleepers/ada")).GetProperty("id").GetString());
        Assert.Contains("Shared store PostgreSQL 127.0.0.1", hub.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_newer_schema_and_an_unreachable_server_stop_the_hub_with_exit_code_2_naming_the_setting()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("refused");
        var database = new NpgsqlConnectionStringBuilder(cs).Database!;
        await postgres.Server.ExecuteAsync("CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());" +
            "INSERT INTO schema_version (version, name) VALUES (99, 'from the future');", database);
        var newer = await RunToExitAsync(OnPostgres(cs));
        Assert.Equal(2, newer.Code);
        Assert.Contains("(Store:ConnectionString) cannot be used", newer.Output, StringComparison.Ordinal);
        Assert.Contains("schema version 99", newer.Output, StringComparison.Ordinal);

        var unreachable = await RunToExitAsync([.. OnPostgres($"Host=127.0.0.1;Port={Net.FreePort()};Username=somnis;Timeout=2"), "--Store:StartupTimeout", "00:00:02"]);
        Assert.Equal(2, unreachable.Code);
        Assert.Contains("unreachable (attempt 1", unreachable.Output, StringComparison.Ordinal);
        Assert.Contains("still unreachable after 00:00:02 (Store:StartupTimeout", unreachable.Output, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> BadSettings => new()
    {
        { ["--Store:Provider", "mysql"], "Store:Provider must be 'sqlite' or 'postgres'" },
        { ["--Store:Provider", "postgres"], "Store:ConnectionString is required with Store:Provider postgres" },
        { ["--Store:Provider", "postgres", "--Store:ConnectionString", "Hots=db;Username=somnis"], "Store:ConnectionString cannot be used" },
        { ["--Store:Provider", "postgres", "--Store:ConnectionString", "Username=somnis"], "Store:ConnectionString cannot be used: it names no Host" },
        { ["--Store:ConnectionString", "Host=db"], "Store:ConnectionString is set but Store:Provider is not postgres" },
        { ["--Store:Provider", "postgres", "--Store:ConnectionString", "Host=db", "--Store:StartupTimeout", "02:00:00"], "Store:StartupTimeout must be between 00:00:00 and 01:00:00" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_store_settings_stop_the_hub_with_exit_code_2_naming_the_setting(string[] settings, string message)
    {
        var (code, output) = await RunToExitAsync(settings);
        Assert.Equal(2, code);
        Assert.Contains("somnis-hub: invalid setting: ", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    /// <summary>Starts <c>somnis-hub demo</c> with <paramref name="settings"/> and waits for it to exit.</summary>
    internal static async Task<(int Code, string Output)> RunToExitAsync(string[] settings)
    {
        var data = Directory.CreateTempSubdirectory("somnis-hub-").FullName;
        try
        {
            await using var hub = DotnetProcess.Start(RepoPaths.HubDll,
                ["demo", "--beds", "0", "--urls", $"http://127.0.0.1:{Net.FreePort()}", "--data", data, "--Broker:EmbeddedPort", Net.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), .. settings]);
            var code = await hub.WaitForExitAsync(TimeSpan.FromSeconds(90));
            return (code, hub.Output);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Alarms;

/// <summary>
/// Real parts end to end: a hub process and an edge process on a real Mosquitto. A supervisor pauses a bed's Architect,
/// the command travels hub → broker → edge, the edge engages its interlock and reports it, the hub shows it confirmed
/// and audits both steps; alarms and audit survive a hub restart (kill -9).
/// </summary>
[Collection("processes")]
public sealed class InterlockRoundTripTests
{
    [Fact]
    public async Task Pause_and_resume_round_trip_through_mosquitto_and_alarms_survive_a_hub_restart()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0", "--Alarms:Types:edge-offline:OnDelay", "00:00:01");
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll,
            "--broker", broker.Url, "--bed", "bed-01", "--scenario", "architect-deprivation", "--speed", "60", "--seed", "3");
        using var supervisor = new HttpClient { BaseAddress = new Uri(hub.Url), Timeout = TimeSpan.FromSeconds(10) };
        supervisor.DefaultRequestHeaders.Authorization = HubProcess.BasicAuth("supervisor", "somnis-demo");
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Any(b => b.GetProperty("online").GetBoolean()) ? "" : null,
            TimeSpan.FromSeconds(60), "bed-01 online");

        // A technician may not command the Architect.
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Http.PostAsJsonAsync("/api/beds/bed-01/architect/pause", new { reason = "x" })).StatusCode);

        var pause = await supervisor.PostAsJsonAsync("/api/beds/bed-01/architect/pause", new { reason = "integration test" });
        Assert.Equal(HttpStatusCode.Accepted, pause.StatusCode);
        var confirmed = await Eventually.UntilAsync(
            async () =>
            {
                var v = await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01/architect");
                return v.GetProperty("confirmed").GetBoolean() && !v.GetProperty("pending").GetBoolean() ? v.GetRawText() : null;
            },
            TimeSpan.FromSeconds(30),
            "the edge to confirm the pause");
        Assert.True(JsonDocument.Parse(confirmed).RootElement.GetProperty("requested").GetBoolean());
        Assert.True((await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01")).GetProperty("interlockEngaged").GetBoolean());
        // While paused the simulated Architect does not stimulate.
        await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01")).GetProperty("architectStimulating").GetBoolean() ? null : "",
            TimeSpan.FromSeconds(30), "stimulation to stop");

        Assert.Equal(HttpStatusCode.Accepted, (await supervisor.PostAsJsonAsync("/api/beds/bed-01/architect/resume", new { })).StatusCode);
        await Eventually.UntilAsync(
            async () =>
            {
                var v = await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01/architect");
                return !v.GetProperty("requested").GetBoolean() && !v.GetProperty("pending").GetBoolean() && !v.GetProperty("confirmed").GetBoolean() ? "" : null;
            },
            TimeSpan.FromSeconds(30),
            "the edge to confirm the resume");
        var audit = await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/audit?bed=bed-01");
        Assert.Equal(
            ["architect-pause-requested", "architect-pause-confirmed", "architect-resume-requested", "architect-resume-confirmed"],
            audit!.Select(e => e.GetProperty("action").GetString()).Where(a => a!.StartsWith("architect-", StringComparison.Ordinal)));
        Assert.Equal("supervisor", audit!.First(e => e.GetProperty("action").GetString() == "architect-pause-requested").GetProperty("actor").GetString());

        // kill -9 the edge: its last will makes the bed offline and raises edge-offline.
        edge.Kill();
        var id = await Eventually.UntilAsync(
            async () => (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alarms?type=edge-offline&bed=bed-01"))!.FirstOrDefault() is { ValueKind: JsonValueKind.Object } a ? a.GetProperty("id").GetString() : null,
            TimeSpan.FromSeconds(60),
            "an edge-offline alarm");
        Assert.Equal(HttpStatusCode.OK, (await hub.Http.PostAsJsonAsync($"/api/alarms/{id}/comment", new { text = "edge power cycled" })).StatusCode);

        // Other systems see the open alarm as a retained message on somnis/{facility}/alarms/{id}.
        var retained = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var client = new MqttClientFactory().CreateMqttClient())
        {
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (e.ApplicationMessage.Topic == $"somnis/nexus/alarms/{id}" && e.ApplicationMessage.Retain)
                {
                    retained.TrySetResult(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
                }

                return Task.CompletedTask;
            };
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("itest-alarm-consumer").Build());
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("somnis/+/alarms/+", MqttQualityOfServiceLevel.AtLeastOnce).Build());
            var payload = JsonDocument.Parse(await retained.Task.WaitAsync(TimeSpan.FromSeconds(20))).RootElement;
            Assert.Equal(("edge-offline", "bed-01", "active-unacknowledged"),
                (payload.GetProperty("type").GetString(), payload.GetProperty("bed").GetString(), payload.GetProperty("state").GetString()));
        }

        var auditBefore = (await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/audit"))!.Length;

        await hub.RestartAsync();
        var after = await hub.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
        Assert.Equal("active-unacknowledged", after.GetProperty("state").GetString());
        Assert.True((await hub.Http.GetFromJsonAsync<JsonElement[]>("/api/audit"))!.Length >= auditBefore);
        var actions = (await hub.Http.GetFromJsonAsync<JsonElement[]>($"/api/audit?alarm={id}"))!.Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["raised", "commented"], actions.Take(2));
        // The pause/resume history is still there too.
        var view = await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-01/architect");
        Assert.False(view.GetProperty("requested").GetBoolean());
    }
}

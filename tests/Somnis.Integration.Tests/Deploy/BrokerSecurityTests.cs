using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Deploy;

/// <summary>
/// The generated deploy/ broker configuration, run by a real Mosquitto: what a device's credentials can and cannot do,
/// and that hub and edge work through it. "Nothing arrived" is proven by a marker: a message that is allowed, sent after
/// the forbidden one was acknowledged, arrives alone.
/// </summary>
[Collection("processes")]
public sealed class BrokerSecurityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static async Task<ConcurrentQueue<string>> SubscribeAsync(IMqttClient client, string filter)
    {
        var received = new ConcurrentQueue<string>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue(e.ApplicationMessage.Topic + " " + e.ApplicationMessage.ConvertPayloadToString());
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return received;
    }

    private static Task<MqttClientPublishResult> PublishAsync(IMqttClient client, string topic, string payload) =>
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    [Fact]
    public async Task A_device_publishes_only_its_own_beds_data_topics()
    {
        await using var broker = await DeployedBroker.StartAsync(["nexus", "aurora"], ("nexus", "bed-01"), ("nexus", "bed-02"), ("aurora", "bed-01"));
        using var hub = await broker.ConnectAsync("hub-nexus", broker.HubPassword("nexus"));
        var seen = await SubscribeAsync(hub, "somnis/#");
        using var device = await broker.ConnectAsync("nexus.bed-01", broker.BedPassword("nexus", "bed-01"));

        foreach (var forbidden in new[]
                 {
                     "somnis/nexus/beds/bed-02/vitals", "somnis/nexus/beds/bed-02/status", "somnis/aurora/beds/bed-01/vitals",
                     "somnis/nexus/beds/bed-01/cmd", "somnis/nexus/beds/bed-02/cmd", "somnis/nexus/beds/bed-01/other", "elsewhere",
                 })
        {
            var result = await PublishAsync(device, forbidden, "forged");
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        }

        // Every topic an edge publishes (Topics: vitals, status, architect events, gap reports).
        foreach (var kind in new[] { "vitals", "status", "architect", "gap" })
        {
            Assert.True((await PublishAsync(device, $"somnis/nexus/beds/bed-01/{kind}", "own")).IsSuccess, kind);
        }

        await Eventually.UntilAsync(() => Task.FromResult(seen.Count(m => m.EndsWith(" own", StringComparison.Ordinal)) == 4), Wait, "the device's own messages at the hub");
        Assert.Equal(
            ["somnis/nexus/beds/bed-01/architect own", "somnis/nexus/beds/bed-01/gap own", "somnis/nexus/beds/bed-01/status own", "somnis/nexus/beds/bed-01/vitals own"],
            seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_device_reads_only_its_own_command_topic()
    {
        await using var broker = await DeployedBroker.StartAsync(["nexus"], ("nexus", "bed-01"), ("nexus", "bed-02"));
        using var spy = await broker.ConnectAsync("nexus.bed-01", broker.BedPassword("nexus", "bed-01"));
        var seen = await SubscribeAsync(spy, "somnis/#");
        await spy.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("somnis/nexus/beds/bed-02/vitals").WithTopicFilter("somnis/nexus/beds/bed-01/cmd").Build());
        using var other = await broker.ConnectAsync("nexus.bed-02", broker.BedPassword("nexus", "bed-02"));
        using var hub = await broker.ConnectAsync("hub-nexus", broker.HubPassword("nexus"));

        Assert.True((await PublishAsync(other, "somnis/nexus/beds/bed-02/vitals", "private")).IsSuccess);
        Assert.True((await PublishAsync(hub, "somnis/nexus/beds/bed-02/cmd", "not-yours")).IsSuccess);
        Assert.True((await PublishAsync(hub, "somnis/nexus/beds/bed-01/cmd", "marker")).IsSuccess);

        await Eventually.UntilAsync(() => Task.FromResult(seen.Any(m => m.EndsWith(" marker", StringComparison.Ordinal))), Wait, "the device's own command");
        Assert.All(seen, m => Assert.Equal("somnis/nexus/beds/bed-01/cmd marker", m));
    }

    [Fact]
    public async Task Wrong_passwords_unknown_users_plain_text_and_untrusted_certificates_are_refused()
    {
        await using var broker = await DeployedBroker.StartAsync(["nexus"], ("nexus", "bed-01"));
        var password = broker.BedPassword("nexus", "bed-01");

        var wrong = await Assert.ThrowsAsync<ConnectRefusedException>(() => broker.ConnectAsync("nexus.bed-01", password + "x"));
        Assert.Contains(wrong.Code, new[] { MqttClientConnectResultCode.BadUserNameOrPassword, MqttClientConnectResultCode.NotAuthorized });
        await Assert.ThrowsAsync<ConnectRefusedException>(() => broker.ConnectAsync("nexus.bed-99", password));
        await Assert.ThrowsAsync<ConnectRefusedException>(() => broker.ConnectAsync("", ""));

        // Plain MQTT to the TLS port: the broker sees no TLS handshake and drops the connection.
        // (A communication failure: the broker never answered the CONNECT, unlike a credentials refusal.)
        await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => broker.ConnectAsync("nexus.bed-01", password, tls: false));
        // TLS without the facility CA: the broker's certificate is not trusted by the client.
        var untrusted = await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => broker.ConnectAsync("nexus.bed-01", password, trustCa: false));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(untrusted.InnerException);

        // The right credentials over TLS do connect (the refusals above are not a broken broker).
        using var ok = await broker.ConnectAsync("nexus.bed-01", password);
        Assert.True(ok.IsConnected);
    }

    [Fact]
    public async Task A_bed_provisioned_on_a_running_broker_connects_after_a_reload()
    {
        await using var broker = await DeployedBroker.StartAsync(["nexus"], ("nexus", "bed-01"));
        await DeployedBroker.ProvisionAsync(broker.Directory, "nexus", "bed-03");
        var password = broker.BedPassword("nexus", "bed-03");
        await Assert.ThrowsAsync<ConnectRefusedException>(() => broker.ConnectAsync("nexus.bed-03", password));

        await broker.ReloadAsync();
        using var device = await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return await broker.ConnectAsync("nexus.bed-03", password);
                }
                catch (ConnectRefusedException)
                {
                    return null;
                }
            },
            Wait,
            "the new bed's credentials to be accepted");
        Assert.True((await PublishAsync(device, "somnis/nexus/beds/bed-03/vitals", "x")).IsSuccess);

        // Provisioning the same bed again rotates its password: the old one stops working after the next reload.
        await DeployedBroker.ProvisionAsync(broker.Directory, "nexus", "bed-03");
        await broker.ReloadAsync();
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    using var c = await broker.ConnectAsync("nexus.bed-03", password);
                    return false;
                }
                catch (ConnectRefusedException)
                {
                    return true;
                }
            },
            Wait,
            "the rotated-out password to be refused");
        using var rotated = await broker.ConnectAsync("nexus.bed-03", broker.BedPassword("nexus", "bed-03"));
    }

    [Fact]
    public async Task Hub_and_edge_work_through_the_deployed_broker_while_a_device_tries_to_forge_another_bed()
    {
        await using var broker = await DeployedBroker.StartAsync(["nexus"], ("nexus", "bed-01"), ("nexus", "bed-02"));
        await using var hub = await HubProcess.StartAsync(["--beds", "0", .. broker.Args("hub-nexus.env")]);
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, [.. broker.Args("edges/nexus.bed-01.env"), "--speed", "60"]);

        var bed = await Eventually.UntilAsync(
            async () => (await hub.BedsAsync()).FirstOrDefault(b => b.GetProperty("id").GetString() == "bed-01" && b.GetProperty("online").GetBoolean() && b.GetProperty("received").GetInt64() > 3) is { ValueKind: JsonValueKind.Object } b ? b.GetRawText() : null,
            TimeSpan.FromSeconds(60),
            "bed-01 online at the hub through TLS and ACLs");
        Assert.Contains("\"facility\":\"nexus\"", bed, StringComparison.Ordinal);

        // bed-02's device forges bed-01's vitals and sends a command: the broker refuses both, the hub never sees them.
        using var forger = await broker.ConnectAsync("nexus.bed-02", broker.BedPassword("nexus", "bed-02"));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await PublishAsync(forger, "somnis/nexus/beds/bed-01/vitals", "{\"v\":1}")).ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await PublishAsync(forger, "somnis/nexus/beds/bed-01/cmd", "{}")).ReasonCode);
        var before = (await hub.BedsAsync()).Single().GetProperty("received").GetInt64();
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Single().GetProperty("received").GetInt64() > before + 3, TimeSpan.FromSeconds(30), "bed-01 to keep arriving");

        var ingestion = await hub.Http.GetFromJsonAsync<JsonElement>("/api/ingestion");
        Assert.Empty(ingestion.GetProperty("rejected").EnumerateObject());
        Assert.Equal(["bed-01"], (await hub.BedsAsync()).Select(b => b.GetProperty("id").GetString()));
        using var ready = new HttpClient();
        Assert.True((await ready.GetAsync(new Uri(hub.Url + "/readyz"))).IsSuccessStatusCode);
    }
}

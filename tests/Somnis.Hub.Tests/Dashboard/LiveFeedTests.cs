using Microsoft.Extensions.DependencyInjection;
using Somnis.Hub.Alarms;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Tests.Alarms;

namespace Somnis.Hub.Tests.Dashboard;

public sealed class LiveFeedTests
{
    [Fact]
    public async Task An_alarm_change_is_pushed_at_once_and_open_alarms_come_first_on_connect_then_ready()
    {
        await using var hub = new HubFactory();
        using var _ = hub.CreateClient();
        var feed = hub.Services.GetRequiredService<LiveFeed>();
        var engine = hub.Services.GetRequiredService<AlarmEngine>();
        engine.ReportDataGap("nexus", "bed-01", true, AlarmEngineTests.T0, "first gap");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await using var stream = feed.Subscribe(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("connected", stream.Current.EventType);
        Assert.Contains("\"role\":\"single\"", stream.Current.Data, StringComparison.Ordinal);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("alarm", stream.Current.EventType);
        Assert.Contains("first gap", stream.Current.Data, StringComparison.Ordinal);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("ready", stream.Current.EventType);

        // Pushed by the change itself, not by the 1-s tick: the item is there before any tick could run.
        engine.ReportDataGap("nexus", "bed-02", true, AlarmEngineTests.T0, "second gap");
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("alarm", stream.Current.EventType);
        Assert.Contains("second gap", stream.Current.Data, StringComparison.Ordinal);
    }
}

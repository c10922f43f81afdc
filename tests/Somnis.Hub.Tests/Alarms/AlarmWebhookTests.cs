using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The webhook against a real local HTTP listener (the network is the seam): retries, then dead letter.</summary>
public sealed class AlarmWebhookTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private AlarmWebhook Webhook(string url) => new(
        _services.GetRequiredService<IHttpClientFactory>(),
        Options.Create(new AlarmOptions { Webhook = new WebhookOptions { Url = url, MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(5) } }),
        TimeProvider.System,
        _services.GetRequiredService<IMeterFactory>(),
        new TestLogger<AlarmWebhook>());

    private static Alarm Sample() => new()
    {
        Id = "a1", Facility = "nexus", Bed = "bed-01", Type = AlarmTypes.DataGap, Priority = "low", Class = "technical", Latching = true, Active = true,
        RaisedAt = AlarmEngineTests.T0, RaisedEventTime = AlarmEngineTests.T0, AnnouncedAt = AlarmEngineTests.T0, LastEventTime = AlarmEngineTests.T0,
        Occurrences = 1, Summary = "gap",
    };

    [Fact]
    public async Task Failing_receiver_is_retried_then_dead_lettered()
    {
        using var listener = Listen(out var url);
        var attempts = 0;
        var serve = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var ctx = await listener.GetContextAsync();
                attempts++;
                ctx.Response.StatusCode = 503;
                ctx.Response.Close();
            }
        });
        var webhook = Webhook(url);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((3, 1L, 0L), (attempts, webhook.DeadLetters, webhook.Delivered));
    }

    [Fact]
    public async Task Receiver_gets_the_alarm_json_after_a_transient_failure()
    {
        using var listener = Listen(out var url);
        string? body = null;
        var serve = Task.Run(async () =>
        {
            var first = await listener.GetContextAsync();
            first.Response.StatusCode = 500;
            first.Response.Close();
            var second = await listener.GetContextAsync();
            body = await new StreamReader(second.Request.InputStream).ReadToEndAsync();
            second.Response.StatusCode = 204;
            second.Response.Close();
        });
        var webhook = Webhook(url);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((0L, 1L), (webhook.DeadLetters, webhook.Delivered));
        Assert.Contains("\"type\":\"data-gap\"", body, StringComparison.Ordinal);
    }

    private static HttpListener Listen(out string url)
    {
        var port = System.Net.Sockets.TcpListener.Create(0) is var l ? Start(l) : 0;
        url = $"http://127.0.0.1:{port}/hook/";
        var listener = new HttpListener();
        listener.Prefixes.Add(url);
        listener.Start();
        return listener;
    }

    private static int Start(System.Net.Sockets.TcpListener l)
    {
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>
/// The webhook against a real local HTTP listener (the network is the seam), with the hub's own HTTP client
/// registration: what can succeed later is retried, what cannot is dead-lettered at once.
/// </summary>
public sealed class AlarmWebhookTests : IDisposable
{
    private const int MaxAttempts = 3;
    private readonly List<ServiceProvider> _disposables = [];

    public void Dispose() => _disposables.ForEach(d => d.Dispose());

    private static AlarmOptions Settings(string url, int attempts = MaxAttempts, double timeoutSeconds = 30) => new()
    {
        Webhook = new WebhookOptions { Url = url, MaxAttempts = attempts, RetryDelay = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(timeoutSeconds) },
    };

    /// <summary>The webhook as the hub composes it: its HTTP client (with the resilience handler) from DI.</summary>
    private ServiceProvider Services(AlarmOptions options)
    {
        var services = new ServiceCollection().AddMetrics().AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(options));
        AlarmWebhook.AddHttpClient(services);
        services.AddSingleton<ILogger<AlarmWebhook>>(new TestLogger<AlarmWebhook>());
        services.AddSingleton<AlarmWebhook>();
        return services.BuildServiceProvider();
    }

    private AlarmWebhook Webhook(string url, int attempts = MaxAttempts, double timeoutSeconds = 30)
    {
        var services = Services(Settings(url, attempts, timeoutSeconds));
        _disposables.Add(services);
        return services.GetRequiredService<AlarmWebhook>();
    }

    private static Alarm Sample() => new()
    {
        Id = "a1", Facility = "nexus", Bed = "bed-01", Type = AlarmTypes.DataGap, Priority = "low", Class = "technical", Latching = true, Active = true,
        RaisedAt = AlarmEngineTests.T0, RaisedEventTime = AlarmEngineTests.T0, AnnouncedAt = AlarmEngineTests.T0, LastEventTime = AlarmEngineTests.T0,
        Occurrences = 1, Summary = "gap",
    };

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task What_can_succeed_later_is_retried_then_dead_lettered(int status)
    {
        using var receiver = new Receiver(_ => status);
        var webhook = Webhook(receiver.Url);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        Assert.Equal((MaxAttempts, 1L, 0L), (receiver.Requests, webhook.DeadLetters, webhook.Delivered));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(410)]
    [InlineData(422)]
    public async Task What_cannot_succeed_later_is_dead_lettered_at_once(int status)
    {
        using var receiver = new Receiver(_ => status);
        var webhook = Webhook(receiver.Url);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        Assert.Equal((1, 1L, 0L), (receiver.Requests, webhook.DeadLetters, webhook.Delivered));
    }

    [Fact]
    public async Task Receiver_gets_the_alarm_json_after_a_transient_failure()
    {
        using var receiver = new Receiver(n => n == 1 ? 500 : 204);
        var webhook = Webhook(receiver.Url);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        Assert.Equal((2, 0L, 1L), (receiver.Requests, webhook.DeadLetters, webhook.Delivered));
        Assert.Contains("\"type\":\"data-gap\"", receiver.LastBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        // Accepts each connection and closes it without an answer: a network error on every attempt.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = 0;
        var serve = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await listener.AcceptSocketAsync();
                Interlocked.Increment(ref accepted);
                socket.Close();
            }
        });
        var webhook = Webhook($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/hook/");
        await webhook.SendAsync(Sample(), CancellationToken.None);
        Assert.Equal((1L, 0L), (webhook.DeadLetters, webhook.Delivered));
        Assert.True(Volatile.Read(ref accepted) >= MaxAttempts, $"{accepted} connection(s) for {MaxAttempts} attempts");
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_in_time_is_retried()
    {
        // The first two requests are never answered; later ones are (a spare attempt in case an answer is slow here).
        using var receiver = new Receiver(n => n <= 2 ? null : 204);
        var webhook = Webhook(receiver.Url, attempts: 5, timeoutSeconds: 1);
        await webhook.SendAsync(Sample(), CancellationToken.None);
        Assert.Equal((0L, 1L), (webhook.DeadLetters, webhook.Delivered));
        Assert.InRange(receiver.Requests, 3, 5);
    }

    /// <summary>A real HTTP listener on a free loopback port; <c>answer(n)</c> is the status of the n-th request
    /// (1-based), or null to never answer it.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _requests;

        public Receiver(Func<int, int?> answer)
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try
                    {
                        ctx = await _listener.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }

                    LastBody = await new StreamReader(ctx.Request.InputStream).ReadToEndAsync();
                    var n = Interlocked.Increment(ref _requests);
                    if (answer(n) is { } status)
                    {
                        ctx.Response.StatusCode = status;
                        ctx.Response.Close();
                    }
                }
            });
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public string LastBody { get; private set; } = "";

        public void Dispose() => _listener.Close();

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }
}

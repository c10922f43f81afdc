using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The optional alarm webhook: every alarm state change is POSTed (JSON, the API's alarm shape) to
/// <c>Alarms:Webhook:Url</c> through Microsoft.Extensions.Http.Resilience (<see cref="AddHttpClient"/>): retried with
/// exponential backoff and jitter up to <c>MaxAttempts</c>, but only when a later attempt can succeed (network errors,
/// timeouts, 408, 429, 5xx; never 4xx such as 401 or 404). A notification that still fails is dead-lettered: counted
/// (<c>somnis.alarms.webhook_dead_letters</c>, KPIs) and logged, never retried again. The queue is bounded (oldest dropped
/// and dead-lettered when full). The retries' events are in <c>/metrics</c> (Polly's telemetry).
/// </summary>
internal sealed class AlarmWebhook : BackgroundService
{
    public const string HttpClientName = "alarm-webhook";
    private const int Capacity = 10_000;
    private readonly IHttpClientFactory _http;
    private readonly AlarmOptions _options;
    private readonly ILogger<AlarmWebhook> _logger;
    private readonly Channel<Alarm> _queue;
    private readonly Counter<long> _deadLetters;
    private long _deadLetterCount;
    private long _delivered;

    public AlarmWebhook(IHttpClientFactory http, IOptions<AlarmOptions> options, IMeterFactory meters, ILogger<AlarmWebhook> logger)
    {
        _http = http;
        _options = options.Value;
        _logger = logger;
        _deadLetters = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.alarms.webhook_dead_letters", "{notification}", "Alarm webhook notifications given up after all retries");
        _queue = Channel.CreateBounded<Alarm>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }, a => DeadLetter(a, "queue full"));
    }

    /// <summary>The webhook's HTTP client: one pipeline of retry (outermost) and a timeout per attempt.</summary>
    public static void AddHttpClient(IServiceCollection services) => services.AddHttpClient(HttpClientName)
        .AddResilienceHandler(HttpClientName, (pipeline, context) =>
        {
            var w = context.ServiceProvider.GetRequiredService<IOptions<AlarmOptions>>().Value.Webhook;
            if (w.MaxAttempts > 1)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = w.MaxAttempts - 1,
                    Delay = w.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    // A receiver's Retry-After is honoured, but never holds the queue for more than a minute.
                    ShouldRetryAfterHeader = true,
                    MaxDelay = TimeSpan.FromMinutes(1),
                    ShouldHandle = args => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                });
            }

            pipeline.AddTimeout(w.Timeout);
        });

    public bool Enabled => !string.IsNullOrWhiteSpace(_options.Webhook.Url);

    public long DeadLetters => Interlocked.Read(ref _deadLetterCount);

    public long Delivered => Interlocked.Read(ref _delivered);

    public void Enqueue(Alarm alarm)
    {
        if (Enabled)
        {
            _queue.Writer.TryWrite(alarm);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        try
        {
            await foreach (var alarm in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await SendAsync(alarm, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task SendAsync(Alarm alarm, CancellationToken ct)
    {
        try
        {
            using var client = _http.CreateClient(HttpClientName);
            using var response = await client.PostAsJsonAsync(_options.Webhook.Url, alarm, HubJsonContext.Default.Alarm, ct);
            if (!response.IsSuccessStatusCode)
            {
                DeadLetter(alarm, $"HTTP {(int)response.StatusCode}");
                return;
            }

            Interlocked.Increment(ref _delivered);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            DeadLetter(alarm, ex.Message);
        }
    }

    private void DeadLetter(Alarm alarm, string reason)
    {
        Interlocked.Increment(ref _deadLetterCount);
        _deadLetters.Add(1);
        Log.AlarmWebhookDeadLetter(_logger, alarm.Id, alarm.State, reason);
    }
}

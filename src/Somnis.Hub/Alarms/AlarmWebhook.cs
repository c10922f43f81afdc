using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The optional alarm webhook: every alarm state change is POSTed (JSON, the API's alarm shape) to
/// <c>Alarms:Webhook:Url</c>, retried with exponential backoff and jitter (Polly) up to <c>MaxAttempts</c>; a notification
/// that still fails is dead-lettered: counted (<c>somnis.alarms.webhook_dead_letters</c>, KPIs) and logged, never retried
/// again. The queue is bounded (oldest dropped and dead-lettered when full).
/// </summary>
internal sealed class AlarmWebhook : BackgroundService
{
    public const string HttpClientName = "alarm-webhook";
    private const int Capacity = 10_000;
    private readonly IHttpClientFactory _http;
    private readonly AlarmOptions _options;
    private readonly ILogger<AlarmWebhook> _logger;
    private readonly Channel<Alarm> _queue;
    private readonly ResiliencePipeline _pipeline;
    private readonly Counter<long> _deadLetters;
    private long _deadLetterCount;
    private long _delivered;

    public AlarmWebhook(IHttpClientFactory http, IOptions<AlarmOptions> options, TimeProvider time, IMeterFactory meters, ILogger<AlarmWebhook> logger)
    {
        _http = http;
        _options = options.Value;
        _logger = logger;
        _deadLetters = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.alarms.webhook_dead_letters", "{notification}", "Alarm webhook notifications given up after all retries");
        _queue = Channel.CreateBounded<Alarm>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }, a => DeadLetter(a, "queue full"));
        var w = _options.Webhook;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, w.MaxAttempts - 1),
                Delay = w.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
            })
            .AddTimeout(w.Timeout)
            .Build();
    }

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
            await _pipeline.ExecuteAsync(async token =>
            {
                using var client = _http.CreateClient(HttpClientName);
                using var response = await client.PostAsJsonAsync(_options.Webhook.Url, alarm, HubJsonContext.Default.Alarm, token);
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"HTTP {(int)response.StatusCode}", null, response.StatusCode);
                }
            }, ct);
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

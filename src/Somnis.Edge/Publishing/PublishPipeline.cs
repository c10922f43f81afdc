using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace Somnis.Edge.Publishing;

/// <summary>
/// The resilience pipeline around each publish of a bed (<see cref="BedLink"/>): retry (exponential, jitter) → circuit
/// breaker → timeout, the first added outermost. One per bed, each with its own circuit, registered through
/// Polly.Extensions so that its telemetry (meter <c>Polly</c>: retries, circuit changes, timeouts, attempt durations,
/// tagged <c>pipeline.name</c> = <see cref="Name"/> and <c>pipeline.instance</c> = the bed) reaches the process's meters
/// and its events the log. The executed delegate reconnects itself (never OnRetry: a reconnect there made the circuit's
/// half-open probe fail); when the circuit is open the message stays journaled.
/// </summary>
internal static class PublishPipeline
{
    public const string Name = "somnis-edge-publish";

    /// <summary>How long the circuit stays open.</summary>
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);

    /// <summary>Bound of one attempt (the reconnect it may include, the publish and its PUBACK).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The pipeline of one bed (its own registry key type, so no other registry's names are touched).</summary>
    public sealed record Key(string Bed);

    /// <summary>Registers a pipeline for every bed of <see cref="EdgeOptions"/>.</summary>
    public static IServiceCollection AddPublishPipelines(this IServiceCollection services)
    {
        services.AddResiliencePipelineRegistry<Key>(o =>
        {
            o.BuilderNameFormatter = _ => Name;
            o.InstanceNameFormatter = key => key.Bed;
        });
        return services.AddResiliencePipelines<Key>(context =>
        {
            foreach (var bed in context.ServiceProvider.GetRequiredService<IOptions<EdgeOptions>>().Value.BedIds())
            {
                context.AddResiliencePipeline(new Key(bed), (builder, c) => Configure(builder.ConfigureTelemetry(new TelemetryOptions
                {
                    LoggerFactory = c.ServiceProvider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
                    SeverityProvider = RoutineAtDebug,
                })));
            }
        });
    }

    /// <summary>
    /// Polly logs every execution and every attempt at Information: two lines per message published, thousands a second
    /// in a fleet. Those routine successes go to Debug; retries, failed attempts, timeouts and circuit changes keep their
    /// level. The metrics are recorded whatever the level.
    /// </summary>
    internal static ResilienceEventSeverity RoutineAtDebug(SeverityProviderArguments args) =>
        args.Event.Severity == ResilienceEventSeverity.Information && args.Event.EventName is "PipelineExecuted" or "ExecutionAttempt"
            ? ResilienceEventSeverity.Debug
            : args.Event.Severity;

    /// <summary>The bed's pipeline, from the registry (with telemetry).</summary>
    public static ResiliencePipeline For(this ResiliencePipelineProvider<Key> provider, string bed) => provider.GetPipeline(new Key(bed));

    public static ResiliencePipelineBuilder Configure(ResiliencePipelineBuilder builder)
    {
        // A broken circuit and a stop are not failures to retry or to count.
        var failures = new PredicateBuilder().Handle<Exception>(ex => ex is not (OperationCanceledException or BrokenCircuitException));
        return builder
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = failures,
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = failures,
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = Timeout });
    }
}

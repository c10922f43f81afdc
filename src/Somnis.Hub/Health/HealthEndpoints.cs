using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Somnis.Hub.Broker;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Health;

/// <summary><c>/healthz</c> (liveness: the process serves) and <c>/readyz</c> (the broker is connected); both anonymous.</summary>
internal static class HealthEndpoints
{
    public static IHostApplicationBuilder AddSomnisHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"])
            .AddCheck<BrokerHealthCheck>("broker", tags: ["ready"]);
        return builder;
    }

    public static void MapSomnisHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
    }
}

internal sealed class BrokerHealthCheck(MqttIngestor ingestor, EmbeddedBroker broker, BrokerEndpoint endpoint) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (endpoint.Embedded && !broker.Running)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("embedded broker not running"));
        }

        return Task.FromResult(ingestor.Connected
            ? HealthCheckResult.Healthy($"connected to {endpoint.Url}")
            : HealthCheckResult.Unhealthy($"not connected to {endpoint.Url}"));
    }
}

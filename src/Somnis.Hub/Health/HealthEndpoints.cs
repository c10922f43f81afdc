using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Somnis.Hub.Broker;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Health;

/// <summary><c>/healthz</c> (liveness: the process serves) and <c>/readyz</c> (broker connected, store writable, and
/// the time-series sink when configured); both anonymous.</summary>
internal static class HealthEndpoints
{
    public static IHostApplicationBuilder AddSomnisHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"])
            .AddCheck<BrokerHealthCheck>("broker", tags: ["ready"]);
        builder.Services.AddHostedService<SystemdWatchdog>();
        return builder;
    }

    public static void MapSomnisHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReport }).AllowAnonymous();
    }

    /// <summary>Readiness as JSON: overall status, this node and its role (docs/high-availability.md: only an active or single
    /// hub is ready), and each check (broker, store, influx, cluster) with its description, so an operator sees which part is
    /// down or degraded (503 when unhealthy, 200 when healthy or degraded).</summary>
    private static async Task WriteReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new System.Text.Json.Utf8JsonWriter(context.Response.Body, new System.Text.Json.JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        var role = context.RequestServices.GetService<Cluster.ClusterRole>() ?? Cluster.ClusterRole.Single;
        json.WriteString("role", role.RoleName);
        json.WriteString("node", role.Node);
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            foreach (var (key, value) in entry.Data)
            {
                if (value is long or int or double)
                {
                    json.WriteNumber(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>Ready while the subscriber is connected; degraded while only the publisher (alarm states and commands wait in its queue) is not.</summary>
internal sealed class BrokerHealthCheck(MqttIngestor ingestor, HubPublisher publisher, EmbeddedBroker broker, BrokerEndpoint endpoint) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (endpoint.Embedded && !broker.Running)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("embedded broker not running"));
        }

        if (ingestor.Connection is not { IsConnected: true } subscriber)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"not connected to {endpoint.Url}"));
        }

        return Task.FromResult(publisher.Connection is { IsConnected: true }
            ? HealthCheckResult.Healthy($"connected to {subscriber.Broker}")
            : HealthCheckResult.Degraded($"connected to {subscriber.Broker}; the publisher is not (alarm states and commands wait in its queue)"));
    }
}

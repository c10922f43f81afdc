using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Somnis.Hub.TimeSeries;

/// <summary>
/// Part of <c>/readyz</c> when the sink is on. An outage is <b>Degraded</b>, not Unhealthy: the hub keeps serving and
/// buffers on disk, so it must not be taken out of service; the description says since when, why and how much waits.
/// </summary>
internal sealed class InfluxHealthCheck(InfluxSink sink) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["pending"] = sink.PendingPoints,
            ["spoolBytes"] = sink.SpoolBytes,
            ["lagSeconds"] = Math.Round(sink.Lag.TotalSeconds, 1),
            ["written"] = sink.Written,
            ["rejected"] = sink.Rejected,
            ["dropped"] = sink.Dropped,
        };
        return Task.FromResult(sink.CurrentOutage is { } o
            ? HealthCheckResult.Degraded($"InfluxDB unreachable since {o.Since:o} ({o.Reason}); {sink.PendingPoints} points buffered", data: data)
            : HealthCheckResult.Healthy($"InfluxDB writes succeed; lag {sink.Lag.TotalSeconds:0.0} s", data));
    }
}

using System.Diagnostics.Metrics;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// Instruments over the MQTT connections of a process, each tagged <c>connection</c> with the connection's role:
/// <c>{prefix}.connects</c>, <c>{prefix}.connect_failures</c> and <c>{prefix}.disconnects</c> (counters) and
/// <c>{prefix}.connected</c> (connections up now).
/// </summary>
public sealed class MqttConnectionMetrics
{
    private readonly Counter<long> _connects;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _disconnects;
    private readonly Lock _sync = new();
    private readonly List<(string Role, MqttConnection Connection)> _watched = [];

    public MqttConnectionMetrics(Meter meter, string prefix)
    {
        _connects = meter.CreateCounter<long>($"{prefix}.connects", "{connection}", "Connections made to the MQTT broker");
        _failures = meter.CreateCounter<long>($"{prefix}.connect_failures", "{attempt}", "Connection attempts to the MQTT broker that failed");
        _disconnects = meter.CreateCounter<long>($"{prefix}.disconnects", "{connection}", "Connections to the MQTT broker that were lost");
        meter.CreateObservableGauge($"{prefix}.connected", Observe, "{connection}", "Connections to the MQTT broker that are up");
    }

    public void Watch(string role, MqttConnection connection)
    {
        var tag = new KeyValuePair<string, object?>("connection", role);
        connection.Connected += _ => _connects.Add(1, tag);
        connection.ConnectFailed += (_, _, _) => _failures.Add(1, tag);
        connection.Disconnected += (_, _) => _disconnects.Add(1, tag);
        lock (_sync)
        {
            _watched.Add((role, connection));
        }
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        lock (_sync)
        {
            return [.. _watched.GroupBy(w => w.Role).Select(g => new Measurement<long>(g.Count(w => w.Connection.IsConnected), new KeyValuePair<string, object?>("connection", g.Key)))];
        }
    }
}

using Somnis.Edge;

namespace Somnis.Edge.Tests;

public sealed class EdgeOptionsValidatorTests
{
    private static IReadOnlyList<string> Failures(Action<EdgeOptions> change)
    {
        var o = new EdgeOptions();
        change(o);
        var result = new EdgeOptionsValidator().Validate(null, o);
        return result.Failed ? [.. result.Failures!] : [];
    }

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(Failures(_ => { }));

    [Theory]
    [InlineData("--speed (Edge:Speed) must be between 0.1 and 100000 (got 0)")]
    public void Speed_out_of_range_names_the_flag_and_range(string expected) =>
        Assert.Contains(expected, Failures(o => o.Speed = 0));

    [Fact]
    public void Every_invalid_option_is_named()
    {
        Assert.Contains(Failures(o => o.Broker = "http://x:1"), f => f.StartsWith("--broker (Edge:Broker): must look like mqtt://HOST:PORT", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Broker = "mqtt://x:70000"), f => f.StartsWith("--broker (Edge:Broker):", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Broker = "mqtt://a:1883,,mqtt://b:1883"), f => f.StartsWith("--broker (Edge:Broker): entry 2 of the list must look like", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.MqttVersion = (Somnis.Contracts.Mqtt.MqttVersion)3), f => f == "--mqtt-version (Edge:MqttVersion) must be 5 or 3.1.1");
        Assert.Contains(Failures(o => o.Facility = "a/b"), f => f.StartsWith("--facility (Edge:Facility) must be 1-64 characters", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Bed = "bed #1"), f => f.StartsWith("--bed (Edge:Bed) must be 1-64 characters", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Beds = 5001), f => f == "--beds (Edge:Beds) must be between 0 and 5000 (got 5001)");
        Assert.Contains(Failures(o => { o.Bed = "a"; o.Beds = 2; }), f => f.StartsWith("--bed and --beds exclude each other", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Mode = 0), f => f == "--mode (Edge:Mode) must be 'hardware' or 'simulated'");
        Assert.Contains(Failures(o => o.Scenario = "nightmare"), f => f.StartsWith("--scenario (Edge:Scenario): unknown scenario 'nightmare' (allowed: healthy, architect-deprivation, sensor-fault, natural, mix)", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Speed = double.NaN), f => f.StartsWith("--speed (Edge:Speed) must be between", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.Interval = TimeSpan.FromDays(10)), f => f.StartsWith("--interval (Edge:Interval) must be between 00:00:01 and 00:01:00 (got 10.00:00:00)", StringComparison.Ordinal));
        Assert.Contains(Failures(o => o.IncidentShare = 2), f => f.StartsWith("Edge:IncidentShare must be between 0 and 1", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_ca_file_is_named()
    {
        var errors = new EdgeOptionsValidator().Validate(null, new EdgeOptions { BrokerCaCertificate = "/nonexistent/ca.crt" });
        Assert.Contains("--broker-ca (Edge:BrokerCaCertificate): cannot read a PEM CA certificate from '/nonexistent/ca.crt'", errors.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Fleet_bed_ids_are_numbered_and_sortable()
    {
        Assert.Equal(["bed-01", "bed-02", "bed-03"], new EdgeOptions { Beds = 3 }.BedIds());
        Assert.Equal("bed-100", new EdgeOptions { Beds = 100 }.BedIds()[^1]);
        Assert.Equal("bed-001", new EdgeOptions { Beds = 100 }.BedIds()[0]);
        Assert.Equal(["icu-7"], new EdgeOptions { Bed = "icu-7" }.BedIds());
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Publishing;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Publishing;

public sealed class BedRunnerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_sped_up_bed_produces_event_time_intervals_with_increasing_sequence_numbers()
    {
        var time = new FakeTimeProvider(Start);
        var model = new SleeperModel(Scenario.ArchitectDeprivation, 3);
        var runner = new BedRunner("nexus", "bed-01", new SimulatedBedSource(model, 3, 60), TimeSpan.FromSeconds(10), 60, time, NullLogger.Instance);
        var sent = new List<OutgoingMessage>();

        Assert.Equal(0, await runner.ProduceDueAsync(Collect(sent), 10_000, default));
        time.Advance(TimeSpan.FromHours(2) / 60);
        Assert.Equal(720, await runner.ProduceDueAsync(Collect(sent), 10_000, default));

        var vitals = sent.Where(m => m.Topic == "somnis/nexus/beds/bed-01/vitals")
            .Select(m => JsonSerializer.Deserialize(m.Payload.Span, SomnisJsonContext.Default.VitalsMessage)!).ToList();
        Assert.Equal(720, vitals.Count);
        Assert.Equal(Start + TimeSpan.FromSeconds(10), vitals[0].Ts);
        Assert.Equal(Start + TimeSpan.FromHours(2), vitals[^1].Ts);
        Assert.All(vitals, v => Assert.True(MessageValidator.Validate(v, "bed-01").Ok));

        // One sequence over vitals and Architect events, strictly increasing, no gaps.
        var seqs = sent.Where(m => m.Seq is not null).Select(m => m.Seq!.Value).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        var architect = sent.Where(m => m.Topic.EndsWith("/architect", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(architect);
        Assert.Equal(seqs[^1], runner.LastSequence);

        // The device clock runs at 60x.
        Assert.Equal(Start + TimeSpan.FromHours(2), runner.DeviceNow());
        Assert.InRange(runner.UntilNextDue().TotalMilliseconds, 166, 167);
    }

    [Fact]
    public async Task A_sensor_fault_is_published_as_a_status_change_naming_the_sensor()
    {
        var time = new FakeTimeProvider(Start);
        var runner = new BedRunner("nexus", "bed-05", new SimulatedBedSource(new SleeperModel(Scenario.SensorFault, 9), 9, 1000), TimeSpan.FromSeconds(10), 1000, time, NullLogger.Instance);
        var sent = new List<OutgoingMessage>();
        time.Advance(TimeSpan.FromHours(8) / 1000);
        await runner.ProduceDueAsync(Collect(sent), 100_000, default);

        var statuses = sent.Where(m => m.Retain).Select(m => JsonSerializer.Deserialize(m.Payload.Span, SomnisJsonContext.Default.StatusMessage)!).ToList();
        Assert.Contains(statuses, s => s.Sensors.Any(x => x.Name == "bcg" && !x.Healthy && x.Reason == "flat-line"));
        Assert.True(statuses.Count(s => s.Sensors.All(x => x.Healthy)) >= 2, "healthy at start and again after recovery");
        Assert.All(statuses, s => Assert.Equal("sensor-fault", s.Simulation!.Scenario));
    }

    private static Func<OutgoingMessage, CancellationToken, ValueTask> Collect(List<OutgoingMessage> sent) => (m, _) =>
    {
        sent.Add(m);
        return ValueTask.CompletedTask;
    };
}

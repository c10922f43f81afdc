using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Publishing;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Publishing;

/// <summary>The edge side of the Architect interlock: commands, reporting, and the local safe rule.</summary>
public sealed class CommandListenerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly BedRunner _runner;
    private readonly CommandListener _listener;
    private readonly List<OutgoingMessage> _sent = [];

    public CommandListenerTests()
    {
        _runner = new BedRunner("nexus", "bed-02", new SimulatedBedSource(new SleeperModel(Scenario.ArchitectDeprivation, 3), 3, 60), TimeSpan.FromSeconds(10), 60, _time, NullLogger.Instance);
        _listener = new CommandListener("nexus", _runner, new EdgeOptions { InterlockFailSafeAfter = TimeSpan.FromMinutes(2) }, _time, NullLogger.Instance);
    }

    private static ReadOnlySequence<byte> Command(string action, string id, string bed = "bed-02") =>
        new(JsonSerializer.SerializeToUtf8Bytes(new CommandMessage { Bed = bed, Id = id, Ts = Start, Action = action, IssuedBy = "sam" }, SomnisJsonContext.Default.CommandMessage));

    private async Task<List<T>> Produce<T>(TimeSpan realTime, string kind, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        _sent.Clear();
        _time.Advance(realTime);
        await _runner.ProduceDueAsync((m, _) => { _sent.Add(m); return ValueTask.CompletedTask; }, 100_000, default);
        return [.. _sent.Where(m => m.Topic.EndsWith("/" + kind, StringComparison.Ordinal)).Select(m => JsonSerializer.Deserialize(m.Payload.Span, info)!)];
    }

    [Fact]
    public async Task Pause_engages_the_interlock_reports_it_with_the_command_id_and_stops_stimulation()
    {
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Pause, "c1"));
        Assert.True(_runner.InterlockEngaged);
        var events = await Produce(TimeSpan.FromHours(4) / 60, Topics.Architect, SomnisJsonContext.Default.ArchitectEvent);
        var report = events[0];
        Assert.Equal((true, "c1"), (report.InterlockEngaged, report.CommandId));
        var vitals = _sent.Where(m => m.Topic.EndsWith("/vitals", StringComparison.Ordinal))
            .Select(m => JsonSerializer.Deserialize(m.Payload.Span, SomnisJsonContext.Default.VitalsMessage)!).ToList();
        Assert.All(vitals, v => Assert.True(v.InterlockEngaged));
        Assert.All(vitals, v => Assert.False(v.ArchitectStimulating));

        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Resume, "c2"));
        var after = await Produce(TimeSpan.FromHours(4) / 60, Topics.Architect, SomnisJsonContext.Default.ArchitectEvent);
        Assert.Equal((false, "c2"), (after[0].InterlockEngaged, after[0].CommandId));
        Assert.Contains(_sent.Where(m => m.Topic.EndsWith("/vitals", StringComparison.Ordinal))
            .Select(m => JsonSerializer.Deserialize(m.Payload.Span, SomnisJsonContext.Default.VitalsMessage)!), v => v.ArchitectStimulating);
    }

    [Fact]
    public async Task Redelivered_command_is_applied_once_and_invalid_commands_are_ignored()
    {
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Pause, "c1"));
        await Produce(TimeSpan.FromSeconds(1), Topics.Architect, SomnisJsonContext.Default.ArchitectEvent);
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Pause, "c1"));
        Assert.Empty(await Produce(TimeSpan.FromSeconds(1), Topics.Architect, SomnisJsonContext.Default.ArchitectEvent));

        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command("explode", "c3"));
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Resume, "c4", bed: "bed-03"));
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", new ReadOnlySequence<byte>("{not json"u8.ToArray()));
        Assert.True(_runner.InterlockEngaged);
    }

    [Fact]
    public async Task Local_safe_rule_engages_after_the_bound_without_a_connection_and_lifts_when_back()
    {
        _listener.CheckFailSafe();
        Assert.False(_runner.InterlockEngaged);
        _time.Advance(TimeSpan.FromMinutes(2));
        _listener.CheckFailSafe();
        Assert.True(_runner.InterlockEngaged);
        var events = await Produce(TimeSpan.FromSeconds(1), Topics.Architect, SomnisJsonContext.Default.ArchitectEvent);
        Assert.Equal((true, "hub-unreachable"), (events[0].InterlockEngaged, events[0].Reason));

        // A pause from the hub while the safe rule holds keeps it engaged after the rule lifts.
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Pause, "c1"));
        _runner.SetLocalSafe(false);
        Assert.True(_runner.InterlockEngaged);
        _listener.Handle("somnis/nexus/beds/bed-02/cmd", Command(CommandActions.Resume, "c2"));
        Assert.False(_runner.InterlockEngaged);
    }
}

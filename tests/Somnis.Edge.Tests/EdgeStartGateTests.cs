using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests;

/// <summary>A host's start gate holds the beds back; their device clocks start when it opens.</summary>
public sealed class EdgeStartGateTests
{
    [Fact]
    public async Task Beds_wait_for_the_gate_and_their_device_clocks_start_when_it_opens()
    {
        // Nothing listens on port 1: the bed's connection keeps retrying, which is all this test needs of it.
        var o = Options.Create(new EdgeOptions { Beds = 1, Broker = "mqtt://127.0.0.1:1", InterlockFailSafeAfter = TimeSpan.Zero });
        var gate = new EdgeStartGate("the test");
        var log = new Signals();
        var edge = new EdgeService(o, new BedSourceFactory(o), new ClockQuality(o, TimeProvider.System, NullLogger<ClockQuality>.Instance),
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), TimeProvider.System, log, gate: gate);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await edge.StartAsync(CancellationToken.None);
        try
        {
            await log.Waiting.Task.WaitAsync(timeout.Token);
            Assert.Empty(edge.Beds);

            var opened = TimeProvider.System.GetUtcNow();
            gate.Open();
            // The list is filled on the service's thread: its count can show before the item does.
            BedRunner? runner;
            while ((runner = edge.Beds.Count > 0 ? edge.Beds[0].Runner : null) is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }

            Assert.True(runner.DeviceNow() >= opened);
        }
        finally
        {
            await edge.StopAsync(CancellationToken.None);
        }
    }

    private sealed class Signals : ILogger<EdgeService>
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 420)
            {
                Waiting.TrySetResult();
            }
        }
    }
}

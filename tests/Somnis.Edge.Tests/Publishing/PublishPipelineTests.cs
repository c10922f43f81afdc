using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly.Registry;
using Somnis.Edge.Publishing;

namespace Somnis.Edge.Tests.Publishing;

/// <summary>The beds' publish pipelines come from Polly.Extensions' registry, so their telemetry reaches the meters.</summary>
public sealed class PublishPipelineTests
{
    [Fact]
    public async Task Each_bed_has_its_own_pipeline_and_its_retries_reach_the_Polly_meter_tagged_with_the_bed()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Edge:Beds"] = "2" });
        builder.AddSomnisEdge();
        using var host = builder.Build();
        var pipelines = host.Services.GetRequiredService<ResiliencePipelineProvider<PublishPipeline.Key>>();
        Assert.NotSame(pipelines.For("bed-01"), pipelines.For("bed-02"));

        var events = new ConcurrentQueue<Dictionary<string, object?>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Polly" && instrument.Name == "resilience.polly.strategy.events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) => events.Enqueue(tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        listener.Start();

        var attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipelines.For("bed-02").ExecuteAsync(_ =>
        {
            attempts++;
            throw new InvalidOperationException("broker refused publish");
        }));

        Assert.Equal(3, attempts);
        var retries = events.Where(e => Equals(e.GetValueOrDefault("event.name"), "OnRetry")).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, e => Assert.Equal((PublishPipeline.Name, "bed-02"), (e["pipeline.name"], e["pipeline.instance"])));
    }
}

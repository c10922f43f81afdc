using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Somnis.Contracts;
using Somnis.Hub.TimeSeries;

namespace Somnis.Hub.Tests.TimeSeries;

/// <summary>The sink against a scripted HTTP server (the network is the seam); the real-server tests are in the integration project.</summary>
public sealed class InfluxSinkTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-influx-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics()
        .AddResiliencePipeline(InfluxSink.PipelineName, (b, _) => InfluxSink.ConfigurePipeline(b, new InfluxOptions { Timeout = TimeSpan.FromSeconds(5) }))
        .BuildServiceProvider();
    private readonly TestLogger<InfluxSink> _log = new();
    private readonly ScriptedServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _services.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    private InfluxSink Sink(long spoolLimit = 1L << 30) => new(
        Options.Create(new InfluxOptions { Url = _server.Url, Token = "t", Org = "o", Bucket = "b", SpoolLimitBytes = spoolLimit, Timeout = TimeSpan.FromSeconds(5) }),
        Options.Create(new HubOptions { DataDirectory = _dir }), TimeProvider.System,
        _services.GetRequiredService<ResiliencePipelineProvider<string>>(), Meters, _log);

    private static VitalsMessage Vitals(long seq, double? hr = 58.5) => new()
    {
        Bed = "bed-01", Seq = seq, Ts = T0.AddSeconds(10 * seq), IntervalSeconds = 10, HeartRate = hr, RespirationRate = 14,
        ActivityCount = 0, BedPresence = true, SignalQuality = 1,
    };

    [Fact]
    public void Line_protocol_has_tags_typed_fields_and_millisecond_device_time()
    {
        var line = LineProtocol.Vitals("nexus", Vitals(3));
        Assert.Equal($"vitals,bed=bed-01,facility=nexus activity_count=0,architect_stimulating=false,bed_presence=true,heart_rate=58.5,interlock_engaged=false,interval_s=10,respiration_rate=14,seq=3i,signal_quality=1 {T0.AddSeconds(30).ToUnixTimeMilliseconds()}", line);
        Assert.DoesNotContain("heart_rate", LineProtocol.Vitals("nexus", Vitals(4, hr: null)), StringComparison.Ordinal);
        Assert.Equal(
            $"epochs,bed=bed 1,facility=nexus,stage=rem confidence=0.8,length_s=30 {T0.ToUnixTimeMilliseconds()}".Replace("bed 1", "bed\\ 1", StringComparison.Ordinal),
            LineProtocol.Epoch(new EpochPoint("nexus", "bed 1", T0, TimeSpan.FromSeconds(30), "rem", 0.8)));
    }

    [Fact]
    public async Task Buffered_points_are_sent_oldest_first_and_survive_a_restart()
    {
        _server.Respond(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        var sink = Sink();
        for (var i = 1; i <= 10; i++)
        {
            sink.Record("nexus", Vitals(i));
        }

        Assert.Equal(10, sink.SpoolQueued());
        Assert.Equal(SendOutcome.Failed, await sink.SendOldestAsync(CancellationToken.None));
        Assert.NotNull(sink.CurrentOutage);
        Assert.Contains("503", sink.CurrentOutage!.Reason, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count); // one attempt plus Polly's two retries
        Assert.Equal(10, sink.PendingPoints);

        // A new sink over the same data directory (a hub restart) finds the buffer and sends it.
        var again = Sink();
        again.SpoolQueued();
        Assert.Equal(10, again.PendingPoints);
        Assert.Equal(SendOutcome.Sent, await again.SendOldestAsync(CancellationToken.None));
        Assert.Equal((10L, 0L), (again.Written, again.PendingPoints));
        Assert.Equal(10, _server.Requests.Last().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("seq=1i", _server.Requests.Last().Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal(SendOutcome.Idle, await again.SendOldestAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_refused_batch_is_logged_counted_and_set_aside_not_retried()
    {
        using var rejected = new MetricCollector<long>(Meters, HubMetrics.MeterName, "somnis.influx.points.rejected");
        _server.Respond(HttpStatusCode.UnprocessableEntity);
        var sink = Sink();
        sink.Record("nexus", Vitals(1));
        sink.Record("nexus", Vitals(2));
        sink.SpoolQueued();

        Assert.Equal(SendOutcome.Rejected, await sink.SendOldestAsync(CancellationToken.None));
        Assert.Single(_server.Requests);
        Assert.Equal((2L, 0L), (sink.Rejected, sink.PendingPoints));
        Assert.Null(sink.CurrentOutage);
        Assert.Equal(2, rejected.LastMeasurement!.Value);
        Assert.Equal(422, rejected.LastMeasurement.Tags["status"]);
        Assert.Single(_log.Lines, l => l.Contains("refused a batch of 2 points", StringComparison.Ordinal) && l.Contains("422", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(Path.Combine(sink.Directory, "rejected")));
        Assert.Equal(SendOutcome.Idle, await sink.SendOldestAsync(CancellationToken.None));
    }

    [Fact]
    public void A_full_disk_buffer_drops_and_counts()
    {
        using var dropped = new MetricCollector<long>(Meters, HubMetrics.MeterName, "somnis.influx.points.dropped");
        var sink = Sink(spoolLimit: 1 << 20);
        var total = 0;
        while (sink.Dropped == 0 && total < 100_000)
        {
            for (var i = 0; i < 1000; i++)
            {
                sink.Record("nexus", Vitals(++total));
            }

            sink.SpoolQueued();
        }

        Assert.True(sink.Dropped > 0);
        Assert.True(sink.SpoolBytes <= 1 << 20);
        Assert.Equal(total, sink.Dropped + sink.PendingPoints);
        Assert.Equal("spool-full", dropped.LastMeasurement!.Tags["reason"]);
        Assert.Single(_log.Lines, l => l.Contains("dropped (spool-full)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ftp://x", "t", "o", "b", "Influx:Url must look like http://HOST:PORT")]
    [InlineData("http://127.0.0.1:8086", "", "o", "b", "Influx:Token is required when Influx:Url is set")]
    [InlineData("http://127.0.0.1:8086", "t", " ", "b", "Influx:Org is required when Influx:Url is set")]
    [InlineData("http://127.0.0.1:8086", "t", "o", null, "Influx:Bucket is required when Influx:Url is set")]
    public void Invalid_settings_are_named(string url, string token, string org, string? bucket, string message)
    {
        var result = new InfluxOptionsValidator().Validate(null, new InfluxOptions { Url = url, Token = token, Org = org, Bucket = bucket });
        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new InfluxOptionsValidator().Validate(null, new InfluxOptions()).Succeeded);
        Assert.Contains("Influx:BatchSize must be between 1 and 50000", new InfluxOptionsValidator().Validate(null, new InfluxOptions { Url = "http://h:1", Token = "t", Org = "o", Bucket = "b", BatchSize = 0 }).FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>An HTTP server on a free loopback port answering writes with a script of status codes (then 204).</summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<HttpStatusCode> _script = new();

        public ScriptedServer()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<string> Requests { get; } = new();

        public void Respond(params HttpStatusCode[] codes)
        {
            foreach (var c in codes)
            {
                _script.Enqueue(c);
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var reader = new StreamReader(ctx.Request.InputStream);
                Requests.Enqueue(await reader.ReadToEndAsync());
                var code = _script.TryDequeue(out var c) ? c : HttpStatusCode.NoContent;
                ctx.Response.StatusCode = (int)code;
                if (code != HttpStatusCode.NoContent)
                {
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.OutputStream.WriteAsync("{\"code\":\"invalid\",\"message\":\"scripted failure\"}"u8.ToArray());
                }

                ctx.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }
}

using System.Diagnostics.Metrics;
using System.Threading.Channels;
using InfluxDB.Client;
using InfluxDB.Client.Core.Exceptions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.TimeSeries;

/// <summary>
/// Sends vitals and scored epochs to InfluxDB (v2 write API) without ever holding up the hub: callers only enqueue into
/// a bounded in-memory queue; one loop gathers points for <see cref="InfluxOptions.FlushInterval"/>, writes each
/// batch to the durable disk buffer (<see cref="InfluxSpool"/>) and sends the buffer oldest-first. A failed send is
/// retried by Polly (short blips), then the loop backs off up to <see cref="InfluxOptions.MaxRetryDelay"/> while the
/// buffer holds the data (outage: <c>/readyz</c> degraded, <c>somnis_influx_up 0</c>). A batch the database refuses as
/// invalid (400, 413, 422) is logged, counted and set aside, never retried.
/// </summary>
internal sealed class InfluxSink : BackgroundService, IVitalsRecorder
{
    /// <summary>The write's retry pipeline, registered through Polly.Extensions so its events are in <c>/metrics</c>.</summary>
    public const string PipelineName = "somnis-influx-write";

    private readonly InfluxOptions _o;
    private readonly TimeProvider _time;
    private readonly ILogger<InfluxSink> _logger;
    private readonly Channel<Pending> _queue;
    private readonly Lazy<InfluxSpool> _spool;
    private readonly ResiliencePipeline _retry;
    private readonly Counter<long> _written;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private InfluxDBClient? _client;
    private WriteApiAsync? _api;
    private TimeSpan _backoff;
    private DateTimeOffset _retryAt;
    private long _writtenCount;
    private long _rejectedCount;
    private long _droppedCount;
    private int _droppingQueue;
    private int _droppingSpool;
    private volatile Outage? _outage;

    public InfluxSink(
        IOptions<InfluxOptions> options, IOptions<HubOptions> hub, TimeProvider time, ResiliencePipelineProvider<string> pipelines, IMeterFactory meters, ILogger<InfluxSink> logger)
    {
        _o = options.Value;
        _time = time;
        _logger = logger;
        _backoff = TimeSpan.FromSeconds(1);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_o.QueueCapacity) { SingleWriter = false });
        var directory = Path.GetFullPath(Path.Combine(hub.Value.DataDirectory, "influx-spool"));
        _spool = new Lazy<InfluxSpool>(() => new InfluxSpool(directory, _o.SpoolLimitBytes));
        _retry = pipelines.GetPipeline(PipelineName);

        var meter = meters.Create(HubMetrics.MeterName);
        _written = meter.CreateCounter<long>("somnis.influx.points.written", "{point}", "Points the time-series database accepted");
        _rejected = meter.CreateCounter<long>("somnis.influx.points.rejected", "{point}", "Points in batches the database refused as invalid (not retried), by HTTP status");
        _dropped = meter.CreateCounter<long>("somnis.influx.points.dropped", "{point}", "Points not buffered because a bound was reached, by reason (queue-full, spool-full)");
        meter.CreateObservableGauge("somnis.influx.pending", () => PendingPoints, "{point}", "Points not yet written: in memory plus in the disk buffer");
        meter.CreateObservableGauge("somnis.influx.spool.bytes", () => _spool.IsValueCreated ? _spool.Value.Bytes : 0L, "By", "Size of the disk buffer");
        meter.CreateObservableGauge("somnis.influx.lag", () => Lag.TotalSeconds, "s", "Age of the oldest point not yet written (0 when caught up)");
        meter.CreateObservableGauge("somnis.influx.up", () => _outage is null ? 1 : 0, "{bool}", "1 while the last write reached the database, 0 during an outage");
        Directory = directory;
    }

    public string Directory { get; }

    public long Written => Interlocked.Read(ref _writtenCount);

    public long Rejected => Interlocked.Read(ref _rejectedCount);

    public long Dropped => Interlocked.Read(ref _droppedCount);

    /// <summary>Points recorded but not yet in the database.</summary>
    public long PendingPoints => _queue.Reader.Count + (_spool.IsValueCreated ? _spool.Value.Points : 0);

    public long SpoolBytes => _spool.IsValueCreated ? _spool.Value.Bytes : 0;

    /// <summary>The current outage (since when, why), or null while writes succeed.</summary>
    public Outage? CurrentOutage => _outage;

    /// <summary>Age of the oldest point not yet written.</summary>
    public TimeSpan Lag
    {
        get
        {
            var oldest = _spool.IsValueCreated ? _spool.Value.OldestCreated : null;
            if (oldest is null && _queue.Reader.TryPeek(out var head))
            {
                oldest = head.Recorded;
            }

            return oldest is { } t ? TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - t).Ticks)) : TimeSpan.Zero;
        }
    }

    public void Record(string facility, VitalsMessage vitals) => Enqueue(new Pending(_time.GetUtcNow(), facility, vitals, null));

    /// <summary>Queues one scored epoch for the database (no-op when the sink is off). Never blocks.</summary>
    public void WriteEpoch(EpochPoint epoch)
    {
        if (_o.Enabled)
        {
            Enqueue(new Pending(_time.GetUtcNow(), epoch.Facility, null, epoch));
        }
    }

    private void Enqueue(Pending item)
    {
        if (_queue.Writer.TryWrite(item))
        {
            return;
        }

        Drop(1, "queue-full", ref _droppingQueue);
    }

    private void Drop(long points, string reason, ref int episode)
    {
        var total = Interlocked.Add(ref _droppedCount, points);
        _dropped.Add(points, new KeyValuePair<string, object?>("reason", reason));
        if (Interlocked.Exchange(ref episode, 1) == 0)
        {
            Log.InfluxDropping(_logger, reason, total);
        }
    }

    /// <summary>Moves everything queued in memory into the disk buffer, in batches of at most <see cref="InfluxOptions.BatchSize"/>.</summary>
    /// <returns>Points moved.</returns>
    internal int SpoolQueued()
    {
        var spool = _spool.Value;
        var moved = 0;
        var lines = new List<string>(Math.Min(_o.BatchSize, 10_000));
        while (true)
        {
            lines.Clear();
            DateTimeOffset? first = null;
            while (lines.Count < _o.BatchSize && _queue.Reader.TryRead(out var item))
            {
                first ??= item.Recorded;
                lines.Add(item.Vitals is { } v ? LineProtocol.Vitals(item.Facility, v) : LineProtocol.Epoch(item.Epoch!));
            }

            if (lines.Count == 0)
            {
                break;
            }

            if (spool.TryAppend(lines, first!.Value))
            {
                moved += lines.Count;
                if (Interlocked.Exchange(ref _droppingSpool, 0) == 1)
                {
                    Log.InfluxBufferHasRoom(_logger, Dropped);
                }
            }
            else
            {
                Drop(lines.Count, "spool-full", ref _droppingSpool);
            }
        }

        if (moved > 0 && _queue.Reader.Count == 0 && Interlocked.Exchange(ref _droppingQueue, 0) == 1)
        {
            Log.InfluxBufferHasRoom(_logger, Dropped);
        }

        return moved;
    }

    /// <summary>Sends the oldest buffered batch once (with Polly's short retries).</summary>
    internal async Task<SendOutcome> SendOldestAsync(CancellationToken ct)
    {
        var spool = _spool.Value;
        if (spool.Oldest is not { } segment)
        {
            return SendOutcome.Idle;
        }

        var lines = InfluxSpool.Read(segment);
        try
        {
            if (_api is null)
            {
                _client = new InfluxDBClient(new InfluxDBClientOptions(_o.Url!)
                {
                    Token = _o.Token,
                    Org = _o.Org,
                    Bucket = _o.Bucket,
                    Timeout = _o.Timeout,
                });
                _api = _client.GetWriteApiAsync();
            }

            var api = _api;
            await _retry.ExecuteAsync(
                async token => await api.WriteRecordsAsync(lines, LineProtocol.Precision, _o.Bucket, _o.Org, token),
                ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsRejection(ex, out var status))
        {
            // By design: the database says the data itself is wrong; sending it again would fail again.
            spool.Reject(segment);
            Interlocked.Add(ref _rejectedCount, segment.Points);
            _rejected.Add(segment.Points, new KeyValuePair<string, object?>("status", status));
            Log.InfluxRejected(_logger, segment.Points, status, Shorten(ex.Message), Path.GetFileName(segment.Path));
            Recovered();
            return SendOutcome.Rejected;
        }
        catch (Exception ex)
        {
            // By design: unreachable, timing out, overloaded or refusing our credentials: keep the batch, back off.
            var reason = Shorten(ex is HttpException h && h.Status != 0 ? $"HTTP {h.Status}: {h.Message}" : ex.Message);
            if (_outage is null)
            {
                _outage = new Outage(_time.GetUtcNow(), reason);
                Log.InfluxDown(_logger, _o.Url!, reason);
            }
            else
            {
                _outage = _outage with { Reason = reason };
            }

            _retryAt = _time.GetUtcNow() + _backoff;
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _o.MaxRetryDelay.Ticks));
            return SendOutcome.Failed;
        }

        spool.Remove(segment);
        Interlocked.Add(ref _writtenCount, segment.Points);
        _written.Add(segment.Points);
        Recovered();
        return SendOutcome.Sent;
    }

    private void Recovered()
    {
        _backoff = TimeSpan.FromSeconds(1);
        _retryAt = default;
        if (_outage is { } o)
        {
            _outage = null;
            Log.InfluxUp(_logger, _o.Url!, _time.GetUtcNow() - o.Since, _spool.Value.Points);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_o.Enabled)
        {
            return;
        }

        await Task.Yield();
        var spool = _spool.Value;
        if (spool.Count > 0)
        {
            Log.InfluxResuming(_logger, spool.Points, spool.Bytes);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForWorkAsync(spool, stoppingToken);
                SpoolQueued();
                while (spool.Count > 0 && _time.GetUtcNow() >= _retryAt && !stoppingToken.IsCancellationRequested)
                {
                    if (await SendOldestAsync(stoppingToken) == SendOutcome.Failed)
                    {
                        break;
                    }

                    // During a catch-up keep memory low: move what arrived meanwhile to disk (it is sent after the backlog).
                    if (_queue.Reader.Count >= _o.BatchSize)
                    {
                        SpoolQueued();
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: an unexpected failure (e.g. the disk buffer unwritable) must not end the sink; points
                // stay queued (bounded, drops counted) and the loop tries again.
                Log.InfluxLoopFailed(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>A clean stop keeps what is still in memory on disk; it is sent after the next start.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!_o.Enabled)
        {
            return;
        }

        try
        {
            SpoolQueued();
        }
        catch (Exception ex)
        {
            // By design: the hub is stopping; report what could not be kept.
            Log.InfluxFlushFailed(_logger, _queue.Reader.Count, ex);
        }

        _client?.Dispose();
        _client = null;
        _api = null;
    }

    private async Task WaitForWorkAsync(InfluxSpool spool, CancellationToken ct)
    {
        if (spool.Count > 0 && _time.GetUtcNow() >= _retryAt)
        {
            return;
        }

        if (_queue.Reader.Count == 0)
        {
            var wait = spool.Count > 0 ? _retryAt - _time.GetUtcNow() : Timeout.InfiniteTimeSpan;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var read = _queue.Reader.WaitToReadAsync(cts.Token).AsTask();
            var delay = wait == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, cts.Token) : Task.Delay(wait, _time, cts.Token);
            await Task.WhenAny(read, delay);
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            if (!read.IsCompletedSuccessfully)
            {
                return;
            }
        }

        // Let a batch gather (the queue may already hold a full one).
        if (_queue.Reader.Count < _o.BatchSize)
        {
            await Task.Delay(_o.FlushInterval, _time, ct);
        }
    }

    /// <summary>A short retry of one write inside its timeout; longer outages go to the disk buffer and its backoff.</summary>
    public static void ConfigurePipeline(ResiliencePipelineBuilder builder, InfluxOptions options) => builder
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
        })
        .AddTimeout(options.Timeout);

    private static bool IsTransient(Exception ex) => ex switch
    {
        HttpException h => h.Status is 0 or 408 or 429 or >= 500,
        TimeoutRejectedException or HttpRequestException or IOException or System.Net.Sockets.SocketException => true,
        TaskCanceledException => true,
        _ => false,
    };

    private static bool IsRejection(Exception ex, out int status)
    {
        status = ex is HttpException h ? h.Status : 0;
        return status is 400 or 413 or 422;
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    private readonly record struct Pending(DateTimeOffset Recorded, string Facility, VitalsMessage? Vitals, EpochPoint? Epoch);
}

/// <summary>The time-series database has been unreachable since <see cref="Since"/> (hub time).</summary>
internal sealed record Outage(DateTimeOffset Since, string Reason);

internal enum SendOutcome
{
    Idle,
    Sent,
    Rejected,
    Failed,
}

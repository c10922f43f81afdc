using Microsoft.Extensions.Options;

namespace Somnis.Hub.TimeSeries;

/// <summary>The time-series sink (section <c>Influx</c>): InfluxDB v2 write API. Off when <see cref="Url"/> is unset.</summary>
public sealed class InfluxOptions
{
    public const string Section = "Influx";

    /// <summary>InfluxDB base URL, <c>http(s)://HOST:PORT</c>. Unset or empty: no sink.</summary>
    public string? Url { get; set; }

    /// <summary>API token with write permission on <see cref="Bucket"/>. Required with a URL.</summary>
    public string? Token { get; set; }

    /// <summary>Organisation name. Required with a URL.</summary>
    public string? Org { get; set; }

    /// <summary>Bucket to write to. Required with a URL.</summary>
    public string? Bucket { get; set; }

    /// <summary>Points per write request, at most. 1 – 50,000, default 5,000.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long points gather before they are written (batching). 10 ms – 1 minute, default 1 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Points waiting in memory before they reach the disk buffer, at most. 1,000 – 10,000,000, default 200,000.
    /// Beyond it new points are dropped and counted (<c>somnis.influx.points.dropped{reason="queue-full"}</c>).</summary>
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>Disk buffer (<c>DATA/influx-spool</c>) for points not yet written, bytes. 1 MiB – 1 TiB, default 1 GiB
    /// (about 4 million vitals points: 500 beds × 10 s for 22 hours). Beyond it new points are dropped and counted
    /// (<c>reason="spool-full"</c>).</summary>
    public long SpoolLimitBytes { get; set; } = 1L << 30;

    /// <summary>Timeout of one write request. 1 s – 5 min, default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between attempts while the database is unreachable. 1 s – 10 min, default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

internal sealed class InfluxOptionsValidator : IValidateOptions<InfluxOptions>
{
    public ValidateOptionsResult Validate(string? name, InfluxOptions o)
    {
        if (!o.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (!Uri.TryCreate(o.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add($"Influx:Url must look like http://HOST:PORT or https://HOST:PORT (got '{o.Url}')");
        }

        foreach (var (key, value) in new[] { ("Token", o.Token), ("Org", o.Org), ("Bucket", o.Bucket) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"Influx:{key} is required when Influx:Url is set");
            }
        }

        if (o.BatchSize is < 1 or > 50_000)
        {
            errors.Add($"Influx:BatchSize must be between 1 and 50000 points (got {o.BatchSize})");
        }

        if (o.FlushInterval < TimeSpan.FromMilliseconds(10) || o.FlushInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Influx:FlushInterval must be between 00:00:00.010 and 00:01:00 (got {o.FlushInterval})");
        }

        if (o.QueueCapacity is < 1_000 or > 10_000_000)
        {
            errors.Add($"Influx:QueueCapacity must be between 1000 and 10000000 points (got {o.QueueCapacity})");
        }

        if (o.SpoolLimitBytes is < 1L << 20 or > 1L << 40)
        {
            errors.Add($"Influx:SpoolLimitBytes must be between 1048576 (1 MiB) and 1099511627776 (1 TiB) (got {o.SpoolLimitBytes})");
        }

        if (o.Timeout < TimeSpan.FromSeconds(1) || o.Timeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Influx:Timeout must be between 00:00:01 and 00:05:00 (got {o.Timeout})");
        }

        if (o.MaxRetryDelay < TimeSpan.FromSeconds(1) || o.MaxRetryDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Influx:MaxRetryDelay must be between 00:00:01 and 00:10:00 (got {o.MaxRetryDelay})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

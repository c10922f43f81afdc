using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.TimeSeries;

/// <summary>The time-series sink (section <c>Influx</c>): InfluxDB v2 write API. Off when <see cref="Url"/> is unset.</summary>
public sealed class InfluxOptions : ISettingsSection, IValidatableObject
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

    /// <summary>Points per write request, at most.</summary>
    /// <value>Points. Default 5,000.</value>
    [Bounds(1, 50_000, Unit = "points")]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long points gather before they are written (batching).</summary>
    /// <value>Default 1 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Points waiting in memory before they reach the disk buffer, at most. Beyond it new points are dropped and
    /// counted (<c>somnis.influx.points.dropped{reason="queue-full"}</c>).</summary>
    /// <value>Points. Default 200,000.</value>
    [Bounds(1_000, 10_000_000, Unit = "points")]
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>Disk buffer (<c>DATA/influx-spool</c>) for points not yet written. Beyond it new points are dropped and
    /// counted (<c>reason="spool-full"</c>).</summary>
    /// <value>Bytes, 1 MiB – 1 TiB. Default 1 GiB (about 4 million vitals points: 500 beds × 10 s for 22 hours).</value>
    [Bounds(1L << 20, 1L << 40, Unit = "bytes")]
    public long SpoolLimitBytes { get; set; } = 1L << 30;

    /// <summary>Timeout of one write request.</summary>
    /// <value>Default 10 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between attempts while the database is unreachable.</summary>
    /// <value>Default 30 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        InfluxOptionsValidator.Rules(this).Select(e => new ValidationResult(e));
}

/// <summary>Generated from <see cref="InfluxOptions"/>' attributes (checked whether or not the sink is on), plus
/// <see cref="Rules"/>.</summary>
[OptionsValidator]
internal sealed partial class InfluxOptionsValidator : IValidateOptions<InfluxOptions>
{
    /// <summary>With a URL: it must parse, and the token, organisation and bucket are required.</summary>
    internal static List<string> Rules(InfluxOptions o)
    {
        var errors = new List<string>();
        if (!o.Enabled)
        {
            return errors;
        }

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

        return errors;
    }
}

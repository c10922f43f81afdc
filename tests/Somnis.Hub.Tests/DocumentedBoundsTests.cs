using System.Globalization;
using System.Text.RegularExpressions;

namespace Somnis.Hub.Tests;

/// <summary>
/// The hand-written tables of README.md and docs/*.md that state a setting's range (<c>| `QueueCapacity` | … | 1,000 –
/// 10,000,000 messages |</c>) say what the setting's <c>[Bounds]</c> attribute says. A row names its keys in backticks, in
/// full (<c>Edge:Speed</c>) or, under a heading "(section `Storage`)", relative to that section, in its first two cells;
/// with several keys, the
/// i-th range of the row belongs to the i-th bounded key.
/// </summary>
public sealed partial class DocumentedBoundsTests
{
    private static readonly Dictionary<string, Setting> Bounded =
        SettingsCatalog.All().Where(s => s.Bounds is not null).ToDictionary(s => s.Key, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Documented_ranges_are_the_attributes_bounds()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "docs"), "*.md").Append(Path.Combine(Repo.Root, "README.md"));
        var checkedRows = 0;
        var wrong = new List<string>();
        foreach (var file in files)
        {
            string? section = null;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.StartsWith('#'))
                {
                    section = SectionHeading().Match(line) is { Success: true } m ? m.Groups[1].Value : null;
                    continue;
                }

                if (!line.StartsWith('|'))
                {
                    continue;
                }

                // The setting a row is about is named in its first cells (key, or flag and key); later cells may mention others.
                var keys = BacktickedKeys(string.Join('|', line.Split('|').Skip(1).Take(2)), section);
                var ranges = Range().Matches(line).Select(m => (Low: m.Groups["a"].Value, High: m.Groups["b"].Value)).ToList();
                if (keys.Count == 0 || ranges.Count == 0)
                {
                    continue;
                }

                checkedRows++;
                var where = $"{Path.GetFileName(file)}:{i + 1}";
                if (keys.Count == 1)
                {
                    if (!ranges.Any(r => Matches(keys[0], r.Low, r.High)))
                    {
                        wrong.Add($"{where}: {keys[0].Key} is {Bounds(keys[0])}, the row says {string.Join(" / ", ranges.Select(r => $"{r.Low} – {r.High}"))}");
                    }

                    continue;
                }

                for (var k = 0; k < keys.Count; k++)
                {
                    if (k >= ranges.Count || !Matches(keys[k], ranges[k].Low, ranges[k].High))
                    {
                        wrong.Add($"{where}: {keys[k].Key} is {Bounds(keys[k])}, the row's range {k + 1} is {(k < ranges.Count ? $"{ranges[k].Low} – {ranges[k].High}" : "missing")}");
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, "documented ranges that differ from the attributes:\n" + string.Join("\n", wrong));

        // The tables of README.md, docs/storage.md, docs/alarms.md, docs/operations.md and docs/settings.md state ranges.
        Assert.True(checkedRows > 60, $"only {checkedRows} documented ranges were found: has the table format changed?");
    }

    [Theory]
    [InlineData("Storage:QueueCapacity", "1,000", "10,000,000 messages", true)]
    [InlineData("Storage:VitalsRetention", "1 hour", "3650 days", true)]
    [InlineData("Storage:FlushInterval", "0", "60 s", true)]
    [InlineData("Storage:FlushInterval", "0", "30 s", false)]
    [InlineData("Influx:SpoolLimitBytes", "1 MiB", "1 TiB", true)]
    [InlineData("Edge:JournalMaxBytes", "65 536", "64 GiB", true)]
    [InlineData("Edge:JournalFlushInterval", "1 ms", "10 s", true)]
    [InlineData("Edge:Interval", "00:00:01", "00:01:00", true)]
    [InlineData("Edge:Speed", "0.1", "100000", true)]
    [InlineData("Edge:Speed", "1", "100000", false)]
    public void Ranges_are_read_as_people_write_them(string key, string low, string high, bool matches) =>
        Assert.Equal(matches, Matches(Bounded[key], low, high));

    private static List<Setting> BacktickedKeys(string line, string? section)
    {
        var keys = new List<Setting>();
        foreach (Match m in Backticked().Matches(line))
        {
            var token = m.Groups[1].Value;
            if (Bounded.TryGetValue(token, out var full))
            {
                keys.Add(full);
            }
            else if (section is not null && Bounded.TryGetValue($"{section}:{token}", out var relative))
            {
                keys.Add(relative);
            }
        }

        return [.. keys.Distinct()];
    }

    private static string Bounds(Setting s) => $"{s.Bounds!.MinimumText} – {s.Bounds.MaximumText}";

    private static bool Matches(Setting setting, string low, string high)
    {
        var bounds = setting.Bounds!;
        var (lowNumber, lowUnit) = Quantity(low);
        var (highNumber, highUnit) = Quantity(high);
        if (bounds.Minimum is TimeSpan min && bounds.Maximum is TimeSpan max)
        {
            // "0 – 60 s": a unitless low bound takes the high bound's time unit.
            var lowTime = Time(low, lowNumber, lowUnit ?? highUnit);
            var highTime = Time(high, highNumber, highUnit);
            return lowTime == min && highTime == max;
        }

        return Number(lowNumber, lowUnit) == Convert.ToDouble(bounds.Minimum, CultureInfo.InvariantCulture)
            && Number(highNumber, highUnit) == Convert.ToDouble(bounds.Maximum, CultureInfo.InvariantCulture);
    }

    private static (double Number, string? Unit) Quantity(string text)
    {
        var m = QuantityParts().Match(text);
        var digits = m.Groups["n"].Value.Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal)
            .Replace("\u00A0", "", StringComparison.Ordinal).Replace("\u202F", "", StringComparison.Ordinal);
        var number = double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
        return (number, m.Groups["u"].Success ? m.Groups["u"].Value : null);
    }

    private static TimeSpan? Time(string text, double number, string? unit)
    {
        if (TimeSpan.TryParseExact(text.Trim(), "c", CultureInfo.InvariantCulture, out var literal) && text.Contains(':', StringComparison.Ordinal))
        {
            return literal;
        }

        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "s" => TimeSpan.FromSeconds(number),
            "min" or "minute" or "minutes" => TimeSpan.FromMinutes(number),
            "h" or "hour" or "hours" => TimeSpan.FromHours(number),
            "day" or "days" => TimeSpan.FromDays(number),
            _ => number == 0 ? TimeSpan.Zero : null,
        };
    }

    private static double Number(double number, string? unit) => unit switch
    {
        "KiB" => number * 1024,
        "MiB" => number * 1024 * 1024,
        "GiB" => number * 1024 * 1024 * 1024,
        "TiB" => number * 1024 * 1024 * 1024 * 1024,
        _ => number,
    };

    [GeneratedRegex(@"\(section `([A-Za-z:]+)`\)")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"`([A-Za-z]+(?::[A-Za-z]+)*)`")]
    private static partial Regex Backticked();

    private const string Q = @"(?:\d+\.\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?|(?:\d{1,3}(?:[,\u00A0\u202F ]\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:ms|min(?:utes?)?|s|h(?:ours?)?|days?|KiB|MiB|GiB|TiB|B)\b)?)";

    [GeneratedRegex(@"(?<![\w:.])(?<a>" + Q + @")\s*(?:–|…|\.\.\.)\s*(?<b>" + Q + ")")]
    private static partial Regex Range();

    [GeneratedRegex(@"^\s*(?<n>\d(?:[\d,\u00A0\u202F ]*\d)?(?:\.\d+)?)\s*(?<u>ms|min(?:utes?)?|s|h(?:ours?)?|days?|KiB|MiB|GiB|TiB|B)?\b")]
    private static partial Regex QuantityParts();
}

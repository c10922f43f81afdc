using System.Collections;
using System.Globalization;
using System.Reflection;
using Somnis.Contracts.Mqtt;
using Somnis.Contracts.Settings;
using Somnis.Edge;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.Beds;
using Somnis.Hub.Broker;
using Somnis.Hub.Cluster;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Demo;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Security;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;
using Somnis.Hub.TimeSeries;

namespace Somnis.Hub.Tests;

/// <summary>One setting of hub or edge as the options classes declare it: key, flag, default and attributes.</summary>
internal sealed record Setting(string Key, string? Flag, object? Value, string Default, Type Type, IReadOnlyList<SettingAttribute> Attributes)
{
    public BoundsAttribute? Bounds => Attributes.OfType<BoundsAttribute>().SingleOrDefault();

    /// <summary>What the attributes allow, as docs/settings.md writes it.</summary>
    public string Allowed => string.Join("; ", Attributes.Select(a => a switch
    {
        BoundsAttribute b => $"{b.MinimumText} – {b.MaximumText}{(b.Unit is null ? "" : " " + b.Unit)}",
        DefinedAttribute d => d.Allowed ?? DefinedAttribute.Choices(Nullable.GetUnderlyingType(Type) ?? Type).Replace('\'', '`'),
        IdentifierAttribute => "1–64 of `A-Z a-z 0-9 - _`",
        NotBlankAttribute n => n.AllowUnset ? "unset, or not empty" : "not empty",
        _ => a.GetType().Name,
    }));
}

/// <summary>Every setting of the options classes, read from the classes themselves (the one source of the bounds).</summary>
internal static class SettingsCatalog
{
    /// <summary>The options sections in the order docs/settings.md lists them.</summary>
    public static readonly Type[] Sections =
    [
        typeof(HubOptions), typeof(BrokerOptions), typeof(DeliveryOptions), typeof(BedOptions), typeof(DetectionOptions),
        typeof(AlarmOptions), typeof(StorageOptions), typeof(StoreOptions), typeof(HaOptions), typeof(InfluxOptions), typeof(AuthOptions), typeof(SignInOptions),
        typeof(DashboardOptions), typeof(TransportOptions), typeof(StudyOptions), typeof(DemoOptions), typeof(EdgeOptions),
    ];

    /// <summary>Flag of each key: the hub's and the edge's command lines (the hub's <c>Edge:</c> flags are <c>demo</c>'s, the same).</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = HubComposition.SwitchMappings.Concat(EdgeHost.SwitchMappings)
        .GroupBy(m => m.Value, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.Select(m => m.Key).Distinct().Single(), StringComparer.OrdinalIgnoreCase);

    public static string SectionOf(Type options) => (string)options.GetField("Section")!.GetValue(null)!;

    public static IEnumerable<Setting> Of(Type options) => Walk(options, SectionOf(options), Activator.CreateInstance(options));

    public static IEnumerable<Setting> All() => Sections.SelectMany(Of);

    /// <summary>Settable public properties in declaration order: scalars and text lists become settings; parts that know
    /// their section (<see cref="ISettingsSection"/>) and dictionaries of them are walked into; other lists and sections
    /// (users, wards, sensors) are described in their docs.</summary>
    private static IEnumerable<Setting> Walk(Type type, string prefix, object? instance)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true).OrderBy(p => p.MetadataToken))
        {
            var key = $"{prefix}:{p.Name}";
            var value = instance is null ? null : p.GetValue(instance);
            if (typeof(ISettingsSection).IsAssignableFrom(p.PropertyType))
            {
                foreach (var s in Walk(p.PropertyType, key, value))
                {
                    yield return s;
                }
            }
            else if (p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>)
                && p.PropertyType.GetGenericArguments()[1] is var item && item.GetProperties().Any(i => i.GetCustomAttributes<SettingAttribute>().Any()))
            {
                foreach (var s in Walk(item, $"{key}:{{{char.ToLowerInvariant(p.Name[0])}{p.Name[1..^1]}}}", null))
                {
                    yield return s with { Default = "per type" };
                }
            }
            else if (IsScalar(p.PropertyType) || p.PropertyType == typeof(string[]) || p.PropertyType == typeof(List<string>))
            {
                yield return new Setting(key, Flags.GetValueOrDefault(key), value, Format(value), p.PropertyType, [.. p.GetCustomAttributes<SettingAttribute>()]);
            }
        }
    }

    private static bool IsScalar(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(TimeSpan);
    }

    private static string Format(object? value) => value switch
    {
        null => "unset",
        "" => "empty",
        MqttVersion v => $"`{v.Label()}`",
        Enum e => $"`{e.ToString().ToLowerInvariant()}`",
        bool b => b ? "`true`" : "`false`",
        TimeSpan t => $"`{t.ToString("c", CultureInfo.InvariantCulture)}`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        string s => $"`{s}`",
        ICollection { Count: 0 } => "none",
        IEnumerable items => string.Join(", ", items.Cast<object>().Select(i => $"`{i}`")),
        _ => $"`{value}`",
    };
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Somnis.Contracts.Settings;

/// <summary>
/// An options section as the configuration binder should see its enum settings. The binder reads an enum by its name
/// (case-insensitively) or number and throws on anything else, which would stop the start with a stack trace instead of
/// a message naming the setting. This view shows each listed key's text as the binder's spelling of the value it means
/// (<c>3.1.1</c> as <c>V311</c>), and any text that means nothing as <c>0</c>, which no settings enum defines: it binds,
/// and <see cref="DefinedAttribute"/> then names the setting and its allowed values.
/// </summary>
public static class Spellings
{
    /// <summary>A view of <paramref name="section"/> whose <paramref name="keys"/> (relative paths, <c>Simulation:Level</c>)
    /// are spelled by their functions (text → the binder's spelling, or null for none).</summary>
    public static IConfiguration View(IConfiguration section, IReadOnlyDictionary<string, Func<string, string?>> keys) =>
        new SpelledView(section, "", new Dictionary<string, Func<string, string?>>(keys, StringComparer.OrdinalIgnoreCase));

    /// <summary>The spelling of an enum whose configuration text is its name (any case) or number.</summary>
    public static Func<string, string?> Enum<TEnum>()
        where TEnum : struct, Enum =>
        text => System.Enum.TryParse<TEnum>(text.Trim(), ignoreCase: true, out var value) && System.Enum.IsDefined(value) ? value.ToString() : null;

    /// <summary>A section (or the root) at <paramref name="path"/> relative to the viewed section. Values are read through
    /// both the indexer (the binding generator) and <see cref="GetSection"/>'s <see cref="Value"/> (the reflection binder).</summary>
    private sealed class SpelledView(IConfiguration inner, string path, Dictionary<string, Func<string, string?>> keys) : IConfigurationSection
    {
        public string? this[string key]
        {
            get => Spell(Combine(key), inner[key]);
            set => inner[key] = value;
        }

        public string Key => (inner as IConfigurationSection)?.Key ?? "";

        public string Path => (inner as IConfigurationSection)?.Path ?? "";

        public string? Value
        {
            get => Spell(path, (inner as IConfigurationSection)?.Value);
            set
            {
                if (inner is IConfigurationSection s)
                {
                    s.Value = value;
                }
            }
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Select(c => Wrap(c, Combine(c.Key)));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => Wrap(inner.GetSection(key), Combine(key));

        private string Combine(string key) => path.Length == 0 ? key : $"{path}:{key}";

        private IConfigurationSection Wrap(IConfigurationSection section, string at) =>
            keys.Keys.Any(k => k.Equals(at, StringComparison.OrdinalIgnoreCase) || k.StartsWith(at + ":", StringComparison.OrdinalIgnoreCase))
                ? new SpelledView(section, at, keys)
                : section;

        private string? Spell(string at, string? text) =>
            text is { Length: > 0 } && keys.TryGetValue(at, out var spell) ? spell(text) ?? "0" : text;
    }
}

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace Somnis.Hub.Storage;

/// <summary>Where the hub's shared state lives (docs/storage.md, "Providers").</summary>
public enum StoreProvider
{
    /// <summary>The embedded SQLite file <c>somnis.db</c> in <c>Hub:DataDirectory</c> (one hub).</summary>
    Sqlite = 1,

    /// <summary>A PostgreSQL database shared by every hub node (docs/high-availability.md, "Store").</summary>
    Postgres = 2,
}

/// <summary>
/// The store of the hub's shared state (section <c>Store</c>): alarms, audit trail, shelving, interlock requests,
/// sleepers, admissions, nights of record. Raw vitals history stays in each node's embedded file whatever the provider
/// (section <c>Storage</c>; docs/storage.md says why).
/// </summary>
public sealed class StoreOptions : IValidatableObject
{
    public const string Section = "Store";

    /// <summary><c>sqlite</c> (default: the embedded file) or <c>postgres</c> (needs <see cref="ConnectionString"/>).</summary>
    [EnumDataType(typeof(StoreProvider), ErrorMessage = "Store:Provider must be sqlite or postgres")]
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>Npgsql connection string of the PostgreSQL database (<c>Host=…;Port=5432;Username=…;Password=…;Database=…</c>);
    /// only with <c>Provider=postgres</c>. <c>Timeout</c> (connect, s) and <c>Command Timeout</c> (s) bound how long one
    /// store call can wait for an unreachable server (docs/high-availability.md, "Store").</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the hub waits at start-up for an unreachable PostgreSQL server, retrying, before it gives up
    /// (exit code 2). 0 – 1 hour, default 1 minute; 0 tries once.</summary>
    /// <remarks>The source-generated validator words a TimeSpan range itself (it ignores ErrorMessage): "The field
    /// StoreOptions.StartupTimeout must be between 00:00:00 and 01:00:00."</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The rules between settings. Results name no member: the message names the setting itself.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider != StoreProvider.Postgres)
        {
            // A connection string without the provider would silently keep every hub on its own file.
            if (!string.IsNullOrWhiteSpace(ConnectionString))
            {
                yield return new ValidationResult("Store:ConnectionString is set but Store:Provider is not postgres: set --Store:Provider postgres, or remove the connection string");
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("Store:ConnectionString is required with Store:Provider postgres (e.g. Host=db;Username=somnis;Password=…;Database=somnis)");
            yield break;
        }

        string? error = null;
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (string.IsNullOrWhiteSpace(parsed.Host))
            {
                error = "it names no Host";
            }
        }
        catch (ArgumentException ex)
        {
            error = ex.Message;
        }

        if (error is not null)
        {
            // The message never repeats the string itself: it may hold a password.
            yield return new ValidationResult($"Store:ConnectionString cannot be used: {error}");
        }
    }

    /// <summary>
    /// The section as the configuration binder should see it. The binder reads an enum by its name or number and throws on
    /// anything else, which would crash the start instead of naming the setting: this view shows a provider it does not
    /// know (numbers included) as 0, which binds and fails validation with a clear message.
    /// </summary>
    internal static IConfiguration Spelled(IConfiguration section) => new SpelledSection(section);

    private static string? Spell(string? text) => text is not { Length: > 0 } t ? text
        : Enum.TryParse<StoreProvider>(t.Trim(), ignoreCase: true, out var p) && Enum.IsDefined(p) && !char.IsAsciiDigit(t.Trim()[0]) ? p.ToString() : "0";

    private static bool IsProvider(string key) => string.Equals(key, nameof(Provider), StringComparison.OrdinalIgnoreCase);

    // The source-generated binder reads a value through the indexer, the reflection one through GetSection(key).Value.
    private sealed class SpelledSection(IConfiguration inner) : IConfiguration
    {
        public string? this[string key]
        {
            get => IsProvider(key) ? Spell(inner[key]) : inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Select(c => IsProvider(c.Key) ? new SpelledValue(c) : c);

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => IsProvider(key) ? new SpelledValue(inner.GetSection(key)) : inner.GetSection(key);
    }

    private sealed class SpelledValue(IConfigurationSection inner) : IConfigurationSection
    {
        public string Key => inner.Key;

        public string Path => inner.Path;

        public string? Value
        {
            get => Spell(inner.Value);
            set => inner.Value = value;
        }

        public string? this[string key]
        {
            get => inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren();

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => inner.GetSection(key);
    }
}

[OptionsValidator]
internal sealed partial class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
}

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Npgsql;
using Somnis.Contracts.Settings;

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
public sealed class StoreOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Store";

    /// <summary><c>sqlite</c> (the embedded file) or <c>postgres</c> (needs <see cref="ConnectionString"/>).</summary>
    /// <value>Default <c>sqlite</c>.</value>
    [Defined]
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>Npgsql connection string of the PostgreSQL database (<c>Host=…;Port=5432;Username=…;Password=…;Database=…</c>);
    /// only with <c>Provider=postgres</c>. <c>Timeout</c> (connect, s) and <c>Command Timeout</c> (s) bound how long one
    /// store call can wait for an unreachable server (docs/high-availability.md, "Store").</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the hub waits at start-up for an unreachable PostgreSQL server, retrying, before it gives up
    /// (exit code 2); 0 tries once.</summary>
    /// <value>Default 1 minute.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "01:00:00")]
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

    string ISettingsSection.SectionPath => Section;

    /// <summary>The section as the configuration binder should see it: a provider it does not know reads as 0, which binds
    /// and fails validation naming the setting, instead of crashing the start (<see cref="Spellings"/>).</summary>
    internal static IConfiguration Spelled(IConfiguration section) =>
        Spellings.View(section, new Dictionary<string, Func<string, string?>> { [nameof(Provider)] = Spellings.Enum<StoreProvider>() });
}

[OptionsValidator]
internal sealed partial class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

/// <summary>Store:* as every configuration source spells it, and what the validator says about it.</summary>
public sealed class StoreOptionsTests
{
    private static StoreOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"Store:{s.Key}", s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<StoreOptions>().Bind(StoreOptions.Spelled(configuration.GetSection(StoreOptions.Section)));
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<StoreOptions>>().Value;
    }

    [Theory]
    [InlineData("sqlite", StoreProvider.Sqlite)]
    [InlineData("Postgres", StoreProvider.Postgres)]
    [InlineData(" POSTGRES ", StoreProvider.Postgres)]
    public void The_provider_is_read_by_name_in_any_case(string text, StoreProvider provider) =>
        Assert.Equal(provider, Bind(("Provider", text), ("ConnectionString", provider == StoreProvider.Postgres ? "Host=db" : "")).Provider);

    [Fact]
    public void Defaults_are_the_embedded_file_and_a_minute_of_waiting()
    {
        var o = Bind();
        Assert.Equal((StoreProvider.Sqlite, null, TimeSpan.FromMinutes(1)), (o.Provider, o.ConnectionString, o.StartupTimeout));
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("sqlite3")]
    [InlineData("0")]
    public void An_unknown_provider_fails_validation_naming_the_setting_instead_of_crashing_the_binder(string text)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(("Provider", text)));
        Assert.Contains(ex.Failures, f => f.Contains("Store:Provider must be 'sqlite' or 'postgres'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_connection_string_is_checked_without_repeating_it()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(("Provider", "postgres"), ("ConnectionString", "Host=db;Password=hunter2;Nonsense=1")));
        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith("Store:ConnectionString cannot be used", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }
}

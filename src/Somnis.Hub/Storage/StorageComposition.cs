using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly;
using Somnis.Edge;
using Somnis.Hub.Ingestion;
using Somnis.Hub.TimeSeries;

namespace Somnis.Hub.Storage;

/// <summary>History: the embedded store (schema at start-up, vitals writer, retention, readiness) and the optional
/// time-series sink (docs/storage.md).</summary>
internal static class StorageComposition
{
    /// <summary>Call before <c>AddIngestion()</c>: hosted services start in registration order and stop in reverse, so the
    /// store is migrated before the first message arrives and flushed only after ingestion has stopped.</summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<StorageOptions, StorageOptionsValidator>().Bind(builder.Configuration.GetSection(StorageOptions.Section));
        services.AddSingleton<SomnisStore>();
        services.AddStartupStep(StoreStartup.CreateDataDirectory);
        // Registration order is start order: the schema is current before the writer and the pruner run.
        services.AddHostedService<StoreStartup>();
        services.AddSingleton<VitalsHistoryWriter>();
        services.AddSingleton<IVitalsRecorder>(sp => sp.GetRequiredService<VitalsHistoryWriter>());
        services.AddSingleton<IBeforeAcknowledge>(sp => sp.GetRequiredService<VitalsHistoryWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<VitalsHistoryWriter>());
        services.AddHostedService<StorePruner>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);

        // The time-series sink: always resolvable (detection calls WriteEpoch unconditionally), fed and checked only when on.
        services.AddOptionsWithValidateOnStart<InfluxOptions, InfluxOptionsValidator>().Bind(builder.Configuration.GetSection(InfluxOptions.Section));
        services.AddResiliencePipeline(InfluxSink.PipelineName, (pipeline, context) =>
            InfluxSink.ConfigurePipeline(pipeline, context.ServiceProvider.GetRequiredService<IOptions<InfluxOptions>>().Value));
        services.AddSingleton<InfluxSink>();
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{InfluxOptions.Section}:{nameof(InfluxOptions.Url)}"]))
        {
            services.AddSingleton<IVitalsRecorder>(sp => sp.GetRequiredService<InfluxSink>());
            services.AddHostedService(sp => sp.GetRequiredService<InfluxSink>());
            services.AddHealthChecks().AddCheck<InfluxHealthCheck>("influx", tags: ["ready"]);
        }

        return builder;
    }
}

/// <summary>Migrates <c>somnis.db</c> before anything else uses it; a file it cannot open or migrate stops the hub.</summary>
internal sealed class StoreStartup(SomnisStore store, ILogger<StoreStartup> logger) : IHostedService
{
    /// <summary>
    /// The data directory (<c>--data</c>), created before the hub starts (a <see cref="StartupStep"/> of <c>AddStorage()</c>):
    /// the options' validation only checks that the setting names a directory. A directory that cannot be created stops
    /// the start with this message (exit code 2).
    /// </summary>
    public static string? CreateDataDirectory(IServiceProvider services)
    {
        var directory = services.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory;
        try
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return $"--data (Hub:DataDirectory) '{directory}' cannot be created: {ex.Message}";
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var step in store.Migrate())
            {
                Log.StoreMigrated(logger, store.DatabasePath, step.Version, step.Name);
            }

            Log.StoreOpened(logger, store.DatabasePath, store.SchemaVersion);
        }
        catch (Exception ex)
        {
            Log.StoreOpenFailed(logger, store.DatabasePath, ex);
            throw;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready when the file answers and the last history write succeeded.</summary>
internal sealed class StoreHealthCheck(SomnisStore store, VitalsHistoryWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            store.Ping();
        }
        catch (Exception ex)
        {
            // By design: any failure to open or read the file means "not ready", with the reason.
            return Task.FromResult(HealthCheckResult.Unhealthy($"store {store.DatabasePath} unreadable: {ex.Message}"));
        }

        var data = new Dictionary<string, object> { ["queued"] = writer.Queued, ["dropped"] = writer.Dropped, ["written"] = writer.Written };
        return Task.FromResult(writer.Failure is { } failure
            ? HealthCheckResult.Unhealthy($"store writes failing: {failure}", data: data)
            : HealthCheckResult.Healthy($"store {store.DatabasePath}", data));
    }
}

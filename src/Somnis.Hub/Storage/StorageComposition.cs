using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly;
using Somnis.Edge;
using Somnis.Hub.Alarms;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.TimeSeries;

namespace Somnis.Hub.Storage;

/// <summary>History: the embedded store (schema at start-up, vitals writer, retention, readiness) and the optional
/// time-series sink (docs/storage.md).</summary>
internal static class StorageComposition
{
    /// <summary>Call before <c>AddIngestion()</c>: hosted services start in registration order and stop in reverse, so the
    /// history writer is running before the first message arrives and flushed only after ingestion has stopped. The
    /// stores themselves are opened (schema checked and migrated) before the host starts, by <see cref="StoreStartup"/>.</summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<StorageOptions, StorageOptionsValidator>().Bind(builder.Configuration.GetSection(StorageOptions.Section));
        var store = StoreOptions.Spelled(builder.Configuration.GetSection(StoreOptions.Section));
        services.AddOptionsWithValidateOnStart<StoreOptions, StoreOptionsValidator>().Bind(store);
        // Raw vitals history is always the node's own file (docs/storage.md, "Providers").
        services.AddSingleton<SomnisStore>();
        if (store[nameof(StoreOptions.Provider)] == nameof(StoreProvider.Postgres))
        {
            services.AddSingleton<PostgresStore>();
            AddSharedState<PostgresStore>(services);
            services.AddHealthChecks().AddCheck<SharedStoreHealthCheck>("shared-store", tags: ["ready"]);
        }
        else
        {
            AddSharedState<SomnisStore>(services);
        }

        services.AddStartupStep(StoreStartup.CreateDataDirectory);
        services.AddSingleton<StoreStartup>();
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

    /// <summary>The seams of the shared state, all on one store. A new seam (users, say) is one constraint and one line here,
    /// and one partial file in each store.</summary>
    private static void AddSharedState<TStore>(IServiceCollection services)
        where TStore : class, IAlarmStore, ISleeperStore, INightStore
    {
        services.AddSingleton<IAlarmStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<ISleeperStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<INightStore>(sp => sp.GetRequiredService<TStore>());
    }
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

/// <summary>Ready when the shared store answers (a PostgreSQL outage shows here while the hub keeps watching).</summary>
internal sealed class SharedStoreHealthCheck(PostgresStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            store.Ping();
            return Task.FromResult(HealthCheckResult.Healthy(store.Description));
        }
        catch (Exception ex)
        {
            // By design: any failure to reach the server means "not ready", with the reason.
            return Task.FromResult(HealthCheckResult.Unhealthy($"shared store {store.Description} unreachable: {ex.Message}"));
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly;
using Somnis.Edge;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
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
            // One instance: it keeps the read under way (a store that hangs gets one stuck probe, not one per check).
            services.AddSingleton<SharedStoreHealthCheck>();
            services.AddHealthChecks().Add(new HealthCheckRegistration("shared-store", sp => sp.GetRequiredService<SharedStoreHealthCheck>(), null, ["ready"]));
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

    /// <summary>The seams of the shared state, all on one store. A new seam is one constraint and one line here, and one
    /// partial file in each store. The <c>users</c> command registers its store through this too.</summary>
    internal static void AddSharedState<TStore>(IServiceCollection services)
        where TStore : class, IAlarmStore, ISleeperStore, INightStore, IUserStore
    {
        services.AddSingleton<IAlarmStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<ISleeperStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<INightStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<TStore>());
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

/// <summary>
/// Ready when the shared store answers (a PostgreSQL outage shows here while the hub keeps watching), without waiting on
/// it: with <c>Ha:Enabled</c> from the lease keeper's last rounds (it calls the store every <c>Ha:RenewEvery</c> with
/// bounded calls anyway): unhealthy when its last call failed or the store has been silent for a whole lease; without HA
/// from a ping bounded by <see cref="BoundedRead.Bound"/>. A store that hangs (a black hole, not a refused connection)
/// then makes <c>/readyz</c> answer 503 at once instead of after Npgsql's connect timeout.
/// </summary>
internal sealed class SharedStoreHealthCheck(PostgresStore store, Cluster.ClusterRole role, Cluster.LeaseReport report, IOptions<Cluster.HaOptions> ha, TimeProvider time) : IHealthCheck
{
    private readonly BoundedRead<string> _ping = new(() =>
    {
        store.Ping();
        return store.Description;
    }, time);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (role.Enabled)
        {
            return report.StoreFailure is { } failure ? Unreachable(failure)
                : report.StoreAnswered is { } ago && ago > ha.Value.LeaseTime ? Unreachable(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer for {ago.TotalSeconds:0.0} s"))
                : HealthCheckResult.Healthy(report.StoreAnswered is null ? $"{store.Description} (no lease round yet)" : store.Description);
        }

        var ping = await _ping.ReadAsync(BoundedRead.Bound, cancellationToken);
        return ping.Fresh ? HealthCheckResult.Healthy(store.Description)
            : Unreachable(ping.Failure ?? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {BoundedRead.Bound.TotalSeconds:0.0} s"));
    }

    private HealthCheckResult Unreachable(string reason) =>
        HealthCheckResult.Unhealthy($"shared store {store.Description} unreachable: {reason}");
}

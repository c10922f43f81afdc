using System.Globalization;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Somnis.Hub.Broker;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Cluster;

/// <summary>Body of the 503 a standby (or isolated node) answers to an operator action or admin write.</summary>
public sealed record StandbyRefusal(string Error, string Role, string? Active);

/// <summary>The live feed's first event (<c>connected</c>).</summary>
public sealed record FeedHello(string Node, string Role);

/// <summary><c>GET /api/cluster</c>: this node, the lease and every node that has run (docs/high-availability.md). Lease and
/// nodes are as read from the store at <paramref name="AsOf"/>; <paramref name="Stale"/> when the store did not answer this
/// request in time and the last view read is shown.</summary>
public sealed record ClusterView(string Node, string Role, long? Term, LeaseInfo? Lease, IReadOnlyList<ClusterNode> Nodes, DateTimeOffset? AsOf, bool Stale);

/// <summary>The lease by the database's clock: holder (null when free or expired), term, seconds since taken, seconds left.</summary>
public sealed record LeaseInfo(string? Holder, long Term, double AgeSeconds, double ExpiresInSeconds);

/// <summary>A node's row: role as it last reported it, its address, its last heartbeat.</summary>
public sealed record ClusterNode(string Node, string Role, string? Url, DateTimeOffset LastSeen);

/// <summary>
/// Active and standby hubs (docs/high-availability.md): the node's <see cref="ClusterRole"/> (always; <c>single</c> without
/// <c>Ha:Enabled</c>), the <see cref="LeaseKeeper"/>, readiness by role, the gate that refuses operator actions on a
/// standby, <c>GET /api/cluster</c>, and with <c>Store:Provider postgres</c> the cookie keys in the shared store.
/// </summary>
internal static class ClusterComposition
{
    private static readonly string[] Reads = [HttpMethods.Get, HttpMethods.Head, HttpMethods.Options];

    /// <summary>Call after <c>AddStorage()</c> and <c>AddAlarms()</c>.</summary>
    public static IHostApplicationBuilder AddCluster(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<HaOptions, HaOptionsValidator>().Bind(builder.Configuration.GetSection(HaOptions.Section));
        services.AddSingleton<IValidateOptions<HaOptions>>(sp => new HaStoreRule(sp.GetRequiredService<IOptions<StoreOptions>>()));
        services.AddSingleton<ClusterRole>();
        services.AddSingleton<LeaseReport>();
        services.AddSingleton<ClusterStartup>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        var postgres = builder.Configuration[$"{StoreOptions.Section}:{nameof(StoreOptions.Provider)}"] is { } p && p.Equals(nameof(StoreProvider.Postgres), StringComparison.OrdinalIgnoreCase);
        if (postgres)
        {
            // One key ring for every node: a cookie signed in on one node is valid on the next after a failover.
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
                new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<PostgresStore>()));
            services.AddSingleton(sp => ClusterRead(sp.GetRequiredService<PostgresStore>(), sp.GetRequiredService<TimeProvider>()));
        }

        if (builder.Configuration.GetValue<bool>($"{HaOptions.Section}:{nameof(HaOptions.Enabled)}"))
        {
            // Each node its own persistent session at the broker (the same client id would make the nodes throw each other off).
            services.AddSingleton<IPostConfigureOptions<BrokerOptions>>(sp => new PostConfigureOptions<BrokerOptions>(Options.DefaultName,
                o => o.ClientId = $"{o.ClientId}-{sp.GetRequiredService<IOptions<HubOptions>>().Value.NodeName}"));
            services.AddHostedService<LeaseKeeper>();
        }

        return builder;
    }

    /// <summary>After <c>UseAuthorization()</c>: a node that is not active refuses every API write with 503 naming the active
    /// (the load balancer sends them to the active anyway; this catches a client that reached a standby directly).</summary>
    public static void UseClusterGate(this WebApplication app)
    {
        var role = app.Services.GetRequiredService<ClusterRole>();
        if (!role.Enabled)
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            if (role.IsActive || !context.Request.Path.StartsWithSegments("/api") || Reads.Contains(context.Request.Method, StringComparer.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = role.RetryAfter.ToString(CultureInfo.InvariantCulture);
            await context.Response.WriteAsJsonAsync(new StandbyRefusal("standby", role.RoleName, role.Holder), HubJsonContext.Default.StandbyRefusal);
        });
    }

    public static void MapClusterApi(this WebApplication app) =>
        app.MapGet("/api/cluster", async (ClusterRole role, IServiceProvider services, CancellationToken ct) =>
            {
                // Never longer than the bound: a store that hangs would hold the request for the connect timeout. Then the
                // last view read, with its time (the role is this node's own, always current).
                if (role.Enabled && services.GetService<BoundedRead<ClusterSnapshot>>() is { } read)
                {
                    var r = await read.ReadAsync(BoundedRead.Bound, ct);
                    return new ClusterView(role.Node, role.RoleName, role.Term, r.Value?.Lease, r.Value?.Nodes ?? [], r.AsOf, !r.Fresh);
                }

                return new ClusterView(role.Node, role.RoleName, role.Term, null, [], null, false);
            })
            .WithTags("Cluster")
            .WithSummary("This node and its role, the lease (holder, term, age, time left) and every hub node with its last heartbeat, as read from the store at asOf (stale: the store did not answer within 0.5 s).");

    private static BoundedRead<ClusterSnapshot> ClusterRead(PostgresStore store, TimeProvider time) => new(() =>
    {
        var l = store.ReadLease();
        return new ClusterSnapshot(new LeaseInfo(l.Holder, l.Term, l.AgeSeconds, l.ExpiresInSeconds),
            [.. store.Nodes().Select(n => new ClusterNode(n.Node, n.Role, n.Url, n.LastSeen))]);
    }, time);
}

/// <summary>The lease and the nodes as read together from the store.</summary>
internal sealed record ClusterSnapshot(LeaseInfo Lease, IReadOnlyList<ClusterNode> Nodes);

/// <summary><c>Ha:Enabled</c> needs the shared store: a lease in a node's own file would elect every node.</summary>
internal sealed class HaStoreRule(IOptions<StoreOptions> store) : IValidateOptions<HaOptions>
{
    public ValidateOptionsResult Validate(string? name, HaOptions options) =>
        options.Enabled && store.Value.Provider != StoreProvider.Postgres
            ? ValidateOptionsResult.Fail("Ha:Enabled requires Store:Provider postgres (with Store:ConnectionString): the lease of the active hub lives in the shared store")
            : ValidateOptionsResult.Success;
}

/// <summary>Ready only while this node acts (single or active): a load balancer sends traffic by it. From memory: the role
/// the lease keeper set, and its deadline (<see cref="LeaseReport.WithinDeadline"/>), so an active that could not renew is
/// not ready from its deadline on even while the keeper still waits on the store.</summary>
internal sealed class ClusterHealthCheck(ClusterRole role, LeaseReport report) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!role.IsActive
            ? HealthCheckResult.Unhealthy($"{role.RoleName} (node {role.Node}); the active hub is {role.Holder ?? "not known yet"}")
            : !report.WithinDeadline
                ? HealthCheckResult.Unhealthy($"{ClusterRole.Name(HubRole.Isolated)} (node {role.Node}): its lease could not be renewed in time")
                : HealthCheckResult.Healthy($"{role.RoleName} (node {role.Node}{(role.Term is { } t ? $", term {t}" : "")})"));
}

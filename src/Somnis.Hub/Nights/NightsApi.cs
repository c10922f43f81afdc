using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Somnis.Hub.Api;
using Somnis.Hub.Detection;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Nights;

/// <summary>Nights of record: the writer behind the live path, its readiness check, and the API that reads them.</summary>
internal static class NightsApi
{
    private const int MaxLimit = 1000;

    /// <summary>Call after <c>AddStorage()</c> (which registers the <see cref="INightStore"/> of the configured store) and
    /// <c>AddSleepers()</c>, before <c>AddAlarms()</c> and <c>AddIngestion()</c>: hosted services start in registration
    /// order, so open nights are restored after the vitals history's journal is in the store and before any live message or
    /// alarm listener; they stop in reverse, so the writer flushes after ingestion (and with it the live path) has stopped.</summary>
    public static IHostApplicationBuilder AddNights(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<NightWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<NightWriter>());
        services.AddSingleton<NightRecorder>();
        services.AddHostedService<NightRestore>();
        services.AddHostedService<NightTakeover>();
        services.AddHealthChecks().AddCheck<NightsHealthCheck>("nights", tags: ["ready"]);
        return builder;
    }

    public static void MapNightsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Nights");
        api.MapGet("/sleepers/{id}/nights", (string id, string? before, int? limit, ISleeperStore sleepers, INightStore nights) =>
            {
                if (limit is < 1 or > MaxLimit)
                {
                    return Problem(400, $"limit must be between 1 and {MaxLimit}");
                }

                DateTimeOffset? until = null;
                if (before is not null)
                {
                    if (!DateTimeOffset.TryParse(before, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var b))
                    {
                        return Problem(400, $"before '{before}' is not a time (ISO 8601)");
                    }

                    until = b;
                }

                if (sleepers.FindSleeper(id) is null)
                {
                    return Problem(404, $"no sleeper '{id}'");
                }

                return Results.Ok(nights.SleeperNights(id, until, limit ?? 100).Select(StoredNightView.From).ToList());
            })
            .WithSummary("A sleeper's nights of record, newest first (before: only nights that began earlier; limit 1–1000, default 100).");
        api.MapGet("/nights/{facility}/{bed}/{start:long}", (string facility, string bed, long start, INightStore nights) =>
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"{facility}/{bed}/{start}");
                return nights.FindNight(id) is { } night
                    ? Results.Ok(new StoredNightDetail(StoredNightView.From(night), [.. nights.NightEpochs(id).Select(e => Epoch(e, night.Start))]))
                    : Problem(404, $"no night '{id}'");
            })
            .WithSummary("One night of record (id facility/bed/start in Unix ms) with its hypnogram: every stored 30-s epoch.");
    }

    private static EpochView Epoch(StoredEpoch e, DateTimeOffset nightStart) => new(
        e.StartOf(nightStart),
        e.State switch { EpochState.Sleep => "sleep", EpochState.Wake => "wake", _ => "out-of-bed" },
        Math.Round(e.PSleep, 3),
        e.HeartRate is { } hr ? Math.Round(hr, 1) : null,
        e.ActivityCount,
        e.Stimulating);

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}

/// <summary>A night of record as the API shows it. <see cref="ArchitectMin"/>: time the Architect stimulated.</summary>
internal sealed record StoredNightView(
    string Id,
    string Facility,
    string Bed,
    string? Sleeper,
    SleepProgram? Program,
    DateOnly NightDate,
    DateTimeOffset Start,
    DateTimeOffset? End,
    bool InProgress,
    int Epochs,
    NightMetrics? Metrics,
    double? ArchitectMin,
    IReadOnlyList<NightAssessment> Assessments)
{
    public static StoredNightView From(NightRecord n) => new(n.Id, n.Facility, n.Bed, n.SleeperId, n.Program, n.NightDate, n.Start, n.End,
        n.End is null, n.Epochs, n.Metrics, n.Metrics?.StimulatedMin, n.Assessments);
}

/// <summary>A night of record with its hypnogram.</summary>
internal sealed record StoredNightDetail(StoredNightView Night, IReadOnlyList<EpochView> Epochs);

/// <summary>Part of <c>/readyz</c>: unhealthy while night writes fail (nights are still scored live and queued).</summary>
internal sealed class NightsHealthCheck(NightWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var age = writer.OldestQueuedAge;
        var data = new Dictionary<string, object>
        {
            ["queued"] = writer.Queue.Epochs,
            ["queuedNights"] = writer.Queue.Nights,
            ["oldestQueuedSeconds"] = Math.Round(age.TotalSeconds, 1),
            ["dropped"] = writer.Queue.Dropped,
            ["written"] = writer.Written,
        };
        return Task.FromResult(writer.Failure is { } failure
            ? HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                $"night writes failing: {failure}; {writer.Queue.Nights} nights ({writer.Queue.Epochs} epochs) queued, oldest {age.TotalSeconds:0} s"), data: data)
            : HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{writer.Queue.Epochs} epochs queued"), data));
    }
}

using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Somnis.Hub.Alarms;
using Somnis.Hub.Api;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Dashboard;

/// <summary>
/// Server side of the dashboard pages (docs/dashboard.md): layout and time zone, night sparklines, active
/// assessments, night reports (JSON and CSV), and the OpenAPI document. The pages themselves are static files in
/// wwwroot; like every endpoint here they need a signed-in technician or supervisor (fallback policy).
/// </summary>
internal static class DashboardPages
{
    public static IHostApplicationBuilder AddDashboardPages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<DashboardOptions, DashboardOptionsValidator>().Bind(builder.Configuration.GetSection(DashboardOptions.Section));
        builder.Services.AddSingleton(sp => new NightSources(sp.GetRequiredService<INightStore>(), sp.GetRequiredService<SleeperLedger>()));
        // Pages, scripts, JSON history and CSV go compressed (a night of vitals is ~1 MB of JSON, ~10 % of it
        // compressed, on a tablet's Wi-Fi). text/event-stream is not in the list: the live feed is never buffered.
        builder.Services.AddResponseCompression(o => o.MimeTypes = [.. ResponseCompressionDefaults.MimeTypes, "text/csv", "application/problem+json"]);
        // Optimal rather than the default Fastest: a quarter fewer bytes for the pages' scripts and styles, at a cost
        // (brotli quality 4) that stays small even for a night of vitals.
        builder.Services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Somnis Facility hub";
            doc.Info.Description = "Every route needs a signed-in technician or supervisor (cookie from /login, or HTTP Basic), except /healthz and /readyz.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static void MapDashboardPages(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        Log.DashboardTimeZone(app.Services.GetRequiredService<ILogger<DashboardOptions>>(), options.TimeZone, options.Layout.Count + 1);

        // Signed-in users only: the fallback policy applies, as to every endpoint without its own.
        app.MapOpenApi();

        var api = app.MapGroup("/api").WithTags("Dashboard");
        api.MapGet("/layout", (IOptions<DashboardOptions> o) => TypedResults.Ok(Layout(o.Value)))
            .WithSummary("The facility's time zone (IANA id) and its wards, for grouping bed tiles (Dashboard:TimeZone, Dashboard:Layout).");
        api.MapGet("/sparklines", (BedRegistry beds, DetectionService detection) =>
                TypedResults.Ok<IReadOnlyList<Sparkline>>([.. beds.All().Select(b => Sparkline.From(b, detection.Night(b.Facility, b.Id)))]))
            .WithSummary("Per bed, tonight's mean p(sleep) per 10-minute bucket (0–100, −1 = out of bed), for the console's sparklines.");
        api.MapGet("/assessments", (BedRegistry beds, DetectionService detection) =>
                TypedResults.Ok(beds.All()
                    .SelectMany(b => detection.Night(b.Facility, b.Id)?.Assessments ?? [])
                    .Where(a => a.Active)
                    .Select(AssessmentView.From)
                    .ToList()))
            .WithSummary("Every bed's active assessments (architect deprivation, acute sleep loss, sustained arousal), for the shift handover.");

        var reports = app.MapGroup("/api/reports").WithTags("Reports");
        reports.MapGet("/night", (string? date, string? bed, BedRegistry beds, DetectionService detection, NightSources sources, AlarmEngine alarms, IOptions<DashboardOptions> o, TimeProvider time, ILogger<DashboardOptions> logger) =>
                Report(date, bed, beds, detection, sources, alarms, o.Value, time, out var report) is { } problem
                    ? problem
                    : Csv(report!, o.Value, logger))
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Night report as CSV (attachment): per bed night its metrics, alarms and operator actions. date: yyyy-MM-dd, the facility-local date of the evening the night began (default: the newest night); bed: one bed (default: every bed and the facility alarms).");
        reports.MapGet("/night.json", (string? date, string? bed, BedRegistry beds, DetectionService detection, NightSources sources, AlarmEngine alarms, IOptions<DashboardOptions> o, TimeProvider time) =>
                Report(date, bed, beds, detection, sources, alarms, o.Value, time, out var report) ?? Results.Ok(report))
            .Produces<NightReport>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The same night report as JSON (rows, alarms raised during the night, operator actions on them), for the printable report page.");
    }

    /// <summary>The stores a night report reads (one parameter for the two, to keep the endpoints' lists short).</summary>
    internal sealed record NightSources(INightStore Nights, SleeperLedger Ledger);

    internal static DashboardLayout Layout(DashboardOptions o) =>
        new(o.TimeZone, o.DefaultWard, [.. o.Layout.Select(w => new WardView(w.Name, [.. w.Beds]))]);

    private static IResult? Report(string? date, string? bed, BedRegistry beds, DetectionService detection, NightSources sources, AlarmEngine alarms, DashboardOptions o, TimeProvider time, out NightReport? report)
    {
        report = null;
        var all = beds.All();
        DateOnly night;
        if (string.IsNullOrEmpty(date))
        {
            night = NightReports.LatestNight(all, bed, detection, sources.Nights, o.Zone(), time.GetUtcNow());
        }
        else if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out night))
        {
            return Results.Problem($"date must be yyyy-MM-dd (got '{date}')", statusCode: StatusCodes.Status400BadRequest);
        }

        report = NightReports.Build(night, bed, all, detection, sources.Nights, sources.Ledger, o, alarms);
        // A bed is known live, by a restored night, or by a stored night of the report's period.
        if (bed is not null && !all.Any(b => b.Id == bed) && detection.FacilityOf(bed) is null && report.Rows.Count == 0)
        {
            report = null;
            return Results.Problem($"no bed '{bed}'", statusCode: StatusCodes.Status404NotFound);
        }

        return null;
    }

    private static IResult Csv(NightReport report, DashboardOptions o, ILogger logger)
    {
        Log.NightReportDownloaded(logger, report.Night, report.Bed ?? "facility", report.Rows.Count);
        return Results.File(System.Text.Encoding.UTF8.GetBytes(NightReports.ToCsv(report, o)), "text/csv; charset=utf-8", NightReports.FileName(report));
    }
}

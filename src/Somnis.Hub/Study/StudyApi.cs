using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Study;

/// <summary>The study's settings (section <c>Study</c>, docs/study.md).</summary>
public sealed class StudyOptions : ISettingsSection
{
    public const string Section = "Study";

    /// <summary>An Architect night was stimulated at least this long (a natural night not at all; nights in between are in
    /// neither condition).</summary>
    /// <value>Default 30 minutes.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "12:00:00")]
    public TimeSpan MinStimulated { get; set; } = TimeSpan.FromMinutes(30);

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="StudyOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class StudyOptionsValidator : IValidateOptions<StudyOptions>;

/// <summary>What <c>GET /api/study</c> returns: the filters it applied, the method, the <see cref="StudyResult"/>, and how
/// each metric is said (<see cref="Metrics"/>, so the page formats as the sentences do).</summary>
public sealed record StudyResponse(
    DateOnly From,
    DateOnly To,
    string? Facility,
    SleepProgram? Program,
    string? Sleeper,
    string FirstNight,
    double MinStimulatedMin,
    string Method,
    int Nights,
    IReadOnlyList<StudySleeper> Sleepers,
    IReadOnlyDictionary<string, PooledMetric> Pooled,
    StudyCohorts Cohorts,
    IReadOnlyList<string> Sentences,
    IReadOnlyList<StudyWeek> Weeks,
    IReadOnlyDictionary<string, IReadOnlyList<ProgramSleeper>> ByProgram,
    IReadOnlyList<MetricDefinition> Metrics);

/// <summary>The study of Architect nights against natural nights (docs/study.md): JSON and the per-sleeper table as CSV.
/// Any signed-in user. Filters: from, to (night dates, inclusive, at most 400 days), facility, program, sleeper, firstNight.</summary>
internal static class StudyApi
{
    public const int MaxDays = 400;

    /// <summary>Without <c>from</c>: this many days up to <c>to</c>.</summary>
    public const int DefaultDays = 90;

    /// <summary>A sleeper's trend reads at most this many nights (retention keeps about 400).</summary>
    private const int TrendNights = 2000;

    public static IHostApplicationBuilder AddStudy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<StudyOptions, StudyOptionsValidator>().Bind(builder.Configuration.GetSection(StudyOptions.Section));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(StudyJsonContext.Default));
        return builder;
    }

    public static void MapStudyApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithTags("Study");
        api.MapGet("/study", (HttpRequest request, INightStore nights, ISleeperStore sleepers, IOptions<StudyOptions> options, TimeProvider time) =>
                Run(request, nights, sleepers, options.Value, time) is var (response, refused) && refused is not null
                    ? SleepersApi.Problem(refused)
                    : Results.Ok(response))
            .WithSummary("Architect nights against natural nights, per sleeper and pooled (95 % CI, effect size), and the cohorts by program. " +
                "Filters: from, to (yyyy-MM-dd night dates; default the 90 days up to the newest night), facility, program, sleeper, firstNight (exclude|include, default exclude).");
        api.MapGet("/study.csv", (HttpRequest request, INightStore nights, ISleeperStore sleepers, IOptions<StudyOptions> options, TimeProvider time, ILogger<StudyOptions> logger) =>
            {
                var (response, refused) = Run(request, nights, sleepers, options.Value, time);
                if (refused is not null)
                {
                    return SleepersApi.Problem(refused);
                }

                Log.StudyDownloaded(logger, response!.From, response.To, response.Sleepers.Count);
                return Results.File(Encoding.UTF8.GetBytes(ToCsv(response)), "text/csv; charset=utf-8",
                    string.Create(CultureInfo.InvariantCulture, $"somnis-study-{response.From:yyyy-MM-dd}-{response.To:yyyy-MM-dd}.csv"));
            })
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The study's per-sleeper table as CSV (attachment), same filters as /api/study.");
        api.MapGet("/sleepers/{id}/trend", (string id, ISleeperStore sleepers, INightStore nights, IOptions<DetectionOptions> detection) =>
                sleepers.FindSleeper(id) is null
                    ? SleepersApi.Problem(new Refusal(StatusCodes.Status404NotFound, $"no sleeper '{Shorten(id)}'"))
                    : Results.Ok(StudyTrends.Sleeper(id, nights.SleeperNights(id, null, TrendNights), detection.Value.NeedHours)))
            .Produces<SleeperTrend>()
            .WithSummary("A sleeper's finished nights by night date, oldest first: TST, sleep efficiency, time stimulated and the sleep debt after each night, with the ids of the night's parts.");
    }

    /// <summary>Checks the filters and computes the study; a refusal names the bad filter.</summary>
    internal static (StudyResponse? Response, Refusal? Refused) Run(HttpRequest request, INightStore nights, ISleeperStore sleepers, StudyOptions options, TimeProvider time)
    {
        var q = request.Query;
        static Refusal Bad(string problem) => new(StatusCodes.Status400BadRequest, problem);
        DateOnly? from = null, to = null;
        foreach (var (name, set) in new (string, Action<DateOnly>)[] { ("from", d => from = d), ("to", d => to = d) })
        {
            if (q[name].ToString() is { Length: > 0 } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                {
                    return (null, Bad($"{name} must be a date (yyyy-MM-dd), got '{Shorten(text)}'"));
                }

                set(d);
            }
        }

        // Without "to": the newest stored night (device clocks, e.g. the demo's accelerated ones, may be ahead of the hub's).
        to ??= nights.LatestNightDate() is { } latest && (from is null || latest >= from) ? latest : from ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        from ??= to.Value.AddDays(-(DefaultDays - 1));
        if (from > to)
        {
            return (null, Bad($"from {from:yyyy-MM-dd} is after to {to:yyyy-MM-dd}"));
        }

        var days = to.Value.DayNumber - from.Value.DayNumber + 1;
        if (days > MaxDays)
        {
            return (null, Bad($"the range {from:yyyy-MM-dd} to {to:yyyy-MM-dd} is {days} days; at most {MaxDays}"));
        }

        var facility = Text(q["facility"]);
        if (facility is not null && !Somnis.Contracts.Identifiers.IsValid(facility))
        {
            return (null, Bad($"'{Shorten(facility)}' is not a facility id"));
        }

        SleepProgram? program = null;
        if (Text(q["program"]) is { } programText)
        {
            program = SleeperRules.ParseProgram(programText, out var problem);
            if (program is null)
            {
                return (null, Bad(problem!));
            }
        }

        var sleeper = Text(q["sleeper"]);
        if (sleeper is not null && SleeperRules.IdProblem(sleeper) is { } idProblem)
        {
            return (null, Bad(idProblem));
        }

        var firstNight = Text(q["firstNight"]) ?? "exclude";
        if (firstNight is not ("exclude" or "include"))
        {
            return (null, Bad($"firstNight must be exclude or include, got '{Shorten(firstNight)}'"));
        }

        var all = sleepers.Sleepers();
        if (sleeper is not null && all.All(s => s.Id != sleeper))
        {
            return (null, new Refusal(StatusCodes.Status404NotFound, $"no sleeper '{sleeper}'"));
        }

        var settings = new StudySettings(options.MinStimulated.TotalMinutes, firstNight == "exclude");
        var selected = nights.StudyNights(new StudyQuery(from.Value, to.Value, facility, program, sleeper));
        var result = StudyReport.Compute(selected, all.ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal), settings);
        return (new StudyResponse(from.Value, to.Value, facility, program, sleeper, firstNight, settings.MinStimulatedMin, StudyReport.Method,
            result.Nights, result.Sleepers, result.Pooled, result.Cohorts, result.Sentences, result.Weeks, result.ByProgram, MetricDefinition.All), null);
    }

    /// <summary>RFC 4180 CSV, one line per sleeper: nights per condition, then per metric the Architect mean, the natural
    /// mean and their difference (units as in the JSON: minutes, counts, bpm, ratios 0–1).</summary>
    internal static string ToCsv(StudyResponse study)
    {
        var sb = new StringBuilder();
        var header = new List<string> { "sleeper", "name", "architectNights", "naturalNights", "otherNights" };
        foreach (var m in StudyMetric.All)
        {
            header.AddRange([$"{m.Key}Architect", $"{m.Key}Natural", $"{m.Key}Diff"]);
        }

        sb.AppendJoin(',', header).Append("\r\n");
        foreach (var s in study.Sleepers)
        {
            var cells = new List<string> { s.Id, s.Name, N(s.ArchitectNights), N(s.NaturalNights), N(s.OtherNights) };
            foreach (var m in StudyMetric.All)
            {
                var v = s.Metrics[m.Key];
                cells.AddRange([N(v.Architect), N(v.Natural), N(v.Diff)]);
            }

            sb.AppendJoin(',', cells.Select(NightReports.Escape)).Append("\r\n");
        }

        return sb.ToString();
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is { Length: > 0 } s ? s : null;

    private static string N(double? v) => v is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>Source-generated JSON of a sleeper's trend (camelCase, as the hub's own context).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SleeperTrend))]
internal sealed partial class StudyJsonContext : JsonSerializerContext;

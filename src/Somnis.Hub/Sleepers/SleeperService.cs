using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Sleepers;

/// <summary>A result, or why there is none.</summary>
internal readonly record struct Outcome<T>(T? Value, Refusal? Refused)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refused) => new(default, refused);
}

/// <summary>
/// Sleepers, their programs and admissions (docs/protocol.md, "Sleepers"): checks every request, applies the
/// <see cref="AdmissionRules"/> and stores the change with its audit entries. Admissions take effect at the bed's event
/// clock (the newest device time the hub has from the bed), or at an explicit time: nights are in device time.
/// </summary>
internal sealed class SleeperService(
    ISleeperStore store,
    INightStore nights,
    SomnisStore history,
    BedRegistry beds,
    IOptions<DashboardOptions> dashboard,
    IOptions<DetectionOptions> detection,
    TimeProvider time,
    ILogger<SleeperService> logger,
    SleeperLedger? ledger = null)
{
    /// <summary>The facility of audit entries that concern a sleeper rather than a bed (creation, program changes).</summary>
    public const string AnyFacility = "*";

    /// <summary>Nights read for the debt, at most (retention keeps about 400).</summary>
    private const int DebtNights = 2000;

    private static readonly TimeSpan MaxAhead = TimeSpan.FromDays(1);
    private readonly Lock _admissions = new();
    private readonly TimeZoneInfo _zone = dashboard.Value.Zone();

    public IReadOnlyList<SleeperView> List()
    {
        var admitted = store.CurrentAdmissions().ToDictionary(a => a.SleeperId, StringComparer.Ordinal);
        return [.. store.Sleepers().Select(s => View(s, admitted.GetValueOrDefault(s.Id)))];
    }

    public Outcome<SleeperView> Get(string id)
    {
        if (store.FindSleeper(id) is not { } sleeper)
        {
            return NotFound(id);
        }

        var admissions = store.Admissions(null, null, id);
        return View(sleeper, admissions.FirstOrDefault(a => a.To is null)) with { Debt = Debt(id), Admissions = admissions };
    }

    /// <summary>Sleep debt of a sleeper from their stored nights (<see cref="SleeperDebt"/>).</summary>
    public DebtSummary Debt(string sleeperId) => SleeperDebt.Compute(nights.SleeperNights(sleeperId, null, DebtNights), detection.Value.NeedHours);

    /// <summary>Who is admitted to a bed at an instant (event time), if anyone.</summary>
    public Admission? AdmittedAt(string facility, string bed, DateTimeOffset at) => store.AdmissionAt(facility, bed, at);

    public Outcome<SleeperView> Create(CreateSleeperRequest? body, string actor)
    {
        if (body is null)
        {
            return BadRequest("a body { name, program, id?, notes?, programFrom? } is required");
        }

        if ((SleeperRules.NameProblem(body.Name) ?? SleeperRules.NotesProblem(body.Notes)) is { } problem)
        {
            return BadRequest(problem);
        }

        if (SleeperRules.ParseProgram(body.Program, out var programProblem) is not { } program)
        {
            return BadRequest(programProblem!);
        }

        DateOnly? from = null;
        if (body.ProgramFrom is not null)
        {
            var parsed = ParseDate(body.ProgramFrom, "programFrom");
            if (parsed.Refused is { } refused)
            {
                return refused;
            }

            from = parsed.Value;
        }

        if (body.Id is not null && SleeperRules.IdProblem(body.Id) is { } idProblem)
        {
            return BadRequest(idProblem);
        }

        var name = body.Name!.Trim();
        var id = body.Id ?? SleeperRules.IdFromName(name, candidate => store.FindSleeper(candidate) is not null);
        var sleeper = new Sleeper(id, name, string.IsNullOrWhiteSpace(body.Notes) ? null : body.Notes, [new ProgramEntry(program, from)]);
        var audit = AdmissionRules.Audit(time.GetUtcNow(), null, AnyFacility, null, "sleeper-created", actor, $"sleeper {id}");
        if (!Store(() => store.CreateSleeper(sleeper, audit), out var failed, out var created))
        {
            return failed!;
        }

        if (!created)
        {
            return new Refusal(StatusCodes.Status409Conflict, $"sleeper id '{id}' is taken");
        }

        ledger?.SleeperAdded(sleeper);
        Log.SleeperCreated(logger, id, actor);
        return View(sleeper, null);
    }

    public Outcome<SleeperView> ChangeProgram(string id, ProgramChangeRequest? body, string actor)
    {
        if (store.FindSleeper(id) is not { } sleeper)
        {
            return NotFound(id);
        }

        if (SleeperRules.ParseProgram(body?.Program, out var problem) is not { } program)
        {
            return BadRequest(problem!);
        }

        var from = ParseDate(body!.From, "from");
        if (from.Refused is { } refused)
        {
            return refused;
        }

        var latest = sleeper.Programs[^1];
        if (latest.From is { } last && from.Value <= last)
        {
            return new Refusal(StatusCodes.Status409Conflict, $"sleeper '{id}' has a program change from {last:yyyy-MM-dd}: a new one must start after it");
        }

        if (latest.Program == program)
        {
            return new Refusal(StatusCodes.Status409Conflict, $"sleeper '{id}' is already in program '{Study.StudyReport.ProgramName(program)}'");
        }

        var entry = new ProgramEntry(program, from.Value);
        var audit = AdmissionRules.Audit(time.GetUtcNow(), null, AnyFacility, null, "program-changed", actor,
            string.Create(CultureInfo.InvariantCulture, $"sleeper {id}: {Study.StudyReport.ProgramName(program)} from {from.Value:yyyy-MM-dd}"));
        if (!Store(() => store.AddProgram(id, entry, audit), out var failed))
        {
            return failed!;
        }

        Log.SleeperProgramChanged(logger, id, actor);
        var admission = store.CurrentAdmissions().FirstOrDefault(a => a.SleeperId == id);
        return View(sleeper with { Programs = [.. sleeper.Programs, entry] }, admission);
    }

    public Outcome<Admission> Admit(string bed, string? facility, AdmitRequest? body, string actor)
    {
        if (string.IsNullOrEmpty(body?.Sleeper))
        {
            return BadRequest("a body { \"sleeper\": \"<id>\" } is required (optional: \"from\", \"transfer\")");
        }

        var where = ResolveBed(bed, facility, body.From, "from");
        if (where.Refused is { } refused)
        {
            return refused;
        }

        if (store.FindSleeper(body.Sleeper) is null)
        {
            return NotFound(body.Sleeper);
        }

        var (f, at) = where.Value;
        lock (_admissions)
        {
            var (change, refusal) = AdmissionRules.Admit(f, bed, body.Sleeper, at, body.Transfer == true,
                store.Admissions(f, bed, null), store.Admissions(null, null, body.Sleeper), actor, time.GetUtcNow());
            return Apply(change, refusal, actor);
        }
    }

    public Outcome<Admission> Discharge(string bed, string? facility, DischargeRequest? body, string actor)
    {
        var where = ResolveBed(bed, facility, body?.To, "to");
        if (where.Refused is { } refused)
        {
            return refused;
        }

        var (f, at) = where.Value;
        lock (_admissions)
        {
            var (change, refusal) = AdmissionRules.Discharge(f, bed, at, store.Admissions(f, bed, null), actor, time.GetUtcNow());
            return Apply(change, refusal, actor);
        }
    }

    /// <summary>The night date of an instant in the facility's zone (nights are filed under the evening they began).</summary>
    public DateOnly NightDate(DateTimeOffset t) => NightCalendar.NightOf(t, _zone);

    private Outcome<Admission> Apply(AdmissionChange? change, Refusal? refusal, string actor)
    {
        if (refusal is not null)
        {
            return refusal;
        }

        if (!Store(() => store.ApplyAdmission(change!), out var failed, out var admission))
        {
            return failed!;
        }

        // The live path names the bed's sleeper and charges their nights from here on.
        var applied = change!;
        ledger?.AdmissionChanged(applied.Close, applied.Open is null ? null : admission);
        foreach (var a in (Admission?[])[applied.Close, applied.Open])
        {
            if (a is not null)
            {
                beds.MarkChanged(a.Facility, a.Bed);
            }
        }

        foreach (var a in applied.Audit)
        {
            Log.AdmissionChanged(logger, a.Action, admission!.SleeperId, a.Facility, a.Bed ?? "", actor);
        }

        return admission!;
    }

    /// <summary>
    /// The bed's facility and the instant a change takes effect. A bed is known when the hub has live state for it, stored
    /// vitals history, or <c>Dashboard:Layout</c> lists it (exact id or prefix*); the facility is the one given, else the
    /// bed's own, else the hub's only facility. The instant is the explicit time, else the bed's event clock, else the
    /// hub's clock (a bed that has sent nothing yet).
    /// </summary>
    private Outcome<(string Facility, DateTimeOffset At)> ResolveBed(string bed, string? facility, string? explicitTime, string field)
    {
        if (!Identifiers.IsValid(bed))
        {
            return BadRequest($"'{bed}' is not a bed id");
        }

        if (facility is not null && !Identifiers.IsValid(facility))
        {
            return BadRequest($"'{facility}' is not a facility id");
        }

        DateTimeOffset? clock;
        if (beds.Find(bed, facility) is { } live)
        {
            (facility, clock) = (live.Facility, live.LastEventTime);
        }
        else if (history.FacilitiesOf(bed).Where(f => facility is null || f == facility).ToList() is { Count: > 0 } stored)
        {
            if (stored.Count > 1)
            {
                return BadRequest($"bed '{bed}' is in several facilities ({string.Join(", ", stored)}): give ?facility=");
            }

            facility = stored[0];
            clock = history.LatestVitalsTime(facility, bed);
        }
        else if (dashboard.Value.Layout.Any(w => w.Beds.Any(p => WardLayout.Matches(p, bed))))
        {
            facility ??= beds.All().Select(b => b.Facility).Distinct().ToList() is [var only] ? only : null;
            if (facility is null)
            {
                return BadRequest($"bed '{bed}' has sent no data yet: give its facility (?facility=)");
            }

            clock = null;
        }
        else
        {
            return new Refusal(StatusCodes.Status404NotFound,
                $"no bed '{bed}'{(facility is null ? "" : $" in facility '{facility}'")}: the hub has not heard from it and Dashboard:Layout does not list it");
        }

        var reference = clock ?? time.GetUtcNow();
        if (explicitTime is null)
        {
            return (facility, reference);
        }

        if (!DateTimeOffset.TryParse(explicitTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return BadRequest($"{field} '{explicitTime}' is not a time (ISO 8601, e.g. 2026-03-01T22:30:00Z)");
        }

        if (at - reference > MaxAhead)
        {
            return BadRequest($"{field} {at:o} is more than a day ahead of the bed's clock ({reference:o})");
        }

        return (facility, at);
    }

    private SleeperView View(Sleeper s, Admission? admission) =>
        new(s.Id, s.Name, s.Notes, s.ProgramOn(NightDate(time.GetUtcNow())), s.Programs, admission);

    private bool Store(Action write, out Refusal? failed) => Store(() =>
    {
        write();
        return true;
    }, out failed, out _);

    private bool Store<T>(Func<T> write, out Refusal? failed, out T? result)
    {
        try
        {
            result = write();
            failed = null;
            return true;
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            // Nothing changed (one transaction): a constraint means another change got there first; anything else is the store.
            Log.SleeperStoreFailed(logger, ex);
            result = default;
            failed = StoreErrors.IsConflict(ex) || ex is InvalidOperationException
                ? new Refusal(StatusCodes.Status409Conflict, "the bed or the sleeper changed meanwhile: nothing was changed, try again")
                : new Refusal(StatusCodes.Status503ServiceUnavailable, $"the store cannot be written ({ex.Message}): nothing was changed");
            return false;
        }
    }

    private static Outcome<DateOnly> ParseDate(string? text, string field) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : BadRequest($"{field} must be a date (yyyy-MM-dd){(text is null ? "" : $", got '{text}'")}");

    private static Refusal BadRequest(string problem) => new(StatusCodes.Status400BadRequest, problem);

    private static Refusal NotFound(string sleeper) => new(StatusCodes.Status404NotFound, $"no sleeper '{sleeper}'");
}

/// <summary>A sleeper as the API shows them. <see cref="Program"/> is the one in effect tonight; <see cref="Debt"/> and
/// <see cref="Admissions"/> (all of them, oldest first) only in <c>GET /api/sleepers/{id}</c>.</summary>
public sealed record SleeperView(
    string Id,
    string Name,
    string? Notes,
    SleepProgram Program,
    IReadOnlyList<ProgramEntry> Programs,
    Admission? Admission,
    DebtSummary? Debt = null,
    IReadOnlyList<Admission>? Admissions = null);

/// <summary>Body of <c>POST /api/sleepers</c>. <see cref="ProgramFrom"/>: yyyy-MM-dd; without it the program holds since
/// before any night of record.</summary>
public sealed record CreateSleeperRequest(string? Id, string? Name, string? Notes, string? Program, string? ProgramFrom);

/// <summary>Body of <c>POST /api/sleepers/{id}/program</c>: the program from a night date (yyyy-MM-dd) on.</summary>
public sealed record ProgramChangeRequest(string? Program, string? From);

/// <summary>Body of <c>POST /api/beds/{id}/admit</c>. <see cref="From"/>: ISO 8601 device time (default: the bed's
/// clock); <see cref="Transfer"/>: move a sleeper admitted to another bed.</summary>
public sealed record AdmitRequest(string? Sleeper, string? From, bool? Transfer);

/// <summary>Body of <c>POST /api/beds/{id}/discharge</c> (optional). <see cref="To"/>: ISO 8601 device time (default: the bed's clock).</summary>
public sealed record DischargeRequest(string? To);

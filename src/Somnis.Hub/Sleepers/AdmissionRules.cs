using System.Globalization;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Sleepers;

/// <summary>Why a request was refused: an HTTP status and the problem in words.</summary>
internal sealed record Refusal(int Status, string Problem);

/// <summary>
/// The admission rules as pure functions of the bed's and the sleeper's admissions (docs/protocol.md, "Sleepers"): one
/// sleeper per bed and one bed per sleeper at a time, no overlapping periods, a transfer only of an admitted sleeper and
/// only when asked for. Each returns the change to store (with its audit entries) or the refusal; a refusal changes
/// nothing and audits nothing.
/// </summary>
internal static class AdmissionRules
{
    /// <summary>Admits <paramref name="sleeperId"/> to a bed from <paramref name="at"/> (event time); with
    /// <paramref name="transfer"/>, a sleeper admitted elsewhere is discharged there at the same instant.</summary>
    /// <param name="bedAdmissions">Every admission of the bed.</param>
    /// <param name="sleeperAdmissions">Every admission of the sleeper.</param>
    /// <param name="now">Hub time, for the audit.</param>
    public static (AdmissionChange? Change, Refusal? Refused) Admit(
        string facility, string bed, string sleeperId, DateTimeOffset at, bool transfer,
        IReadOnlyList<Admission> bedAdmissions, IReadOnlyList<Admission> sleeperAdmissions, string actor, DateTimeOffset now)
    {
        if (bedAdmissions.FirstOrDefault(a => a.To is null) is { } occupant)
        {
            return Refuse(occupant.SleeperId == sleeperId
                ? $"sleeper '{sleeperId}' is already admitted to bed '{bed}' (since {Time(occupant.From)})"
                : $"bed '{bed}' is occupied by sleeper '{occupant.SleeperId}' (since {Time(occupant.From)}): discharge them first");
        }

        var current = sleeperAdmissions.FirstOrDefault(a => a.To is null);
        if (current is not null && !transfer)
        {
            return Refuse($"sleeper '{sleeperId}' is admitted to bed '{current.Bed}' (facility '{current.Facility}'): " +
                "admit with \"transfer\": true to move them");
        }

        if (current is null && transfer)
        {
            return Refuse($"sleeper '{sleeperId}' is not admitted to any bed: nothing to transfer (admit without \"transfer\")");
        }

        if (current is not null && at <= current.From)
        {
            return Refuse($"a transfer at {Time(at)} must come after the admission to bed '{current.Bed}' began ({Time(current.From)})");
        }

        // The new period [at, open) must not overlap any earlier period of the bed or of the sleeper (the sleeper's open
        // admission ends at `at` with the transfer).
        var clash = bedAdmissions.Concat(sleeperAdmissions)
            .Where(a => a.Id != current?.Id)
            .FirstOrDefault(a => a.Overlaps(at, null));
        if (clash is not null)
        {
            return Refuse($"from {Time(at)} overlaps the admission of sleeper '{clash.SleeperId}' to bed '{clash.Bed}' " +
                $"({Time(clash.From)} to {(clash.To is { } to ? Time(to) : "now")})");
        }

        var open = new Admission(0, facility, bed, sleeperId, at, null);
        if (current is null)
        {
            return (new AdmissionChange(null, open, [Audit(now, at, facility, bed, "admit", actor, $"sleeper {sleeperId}")]), null);
        }

        var close = current with { To = at };
        return (new AdmissionChange(close, open,
        [
            Audit(now, at, current.Facility, current.Bed, "transfer", actor, $"sleeper {sleeperId} to bed {bed} ({facility})"),
            Audit(now, at, facility, bed, "transfer", actor, $"sleeper {sleeperId} from bed {current.Bed} ({current.Facility})"),
        ]), null);
    }

    /// <summary>Discharges whoever is admitted to the bed, at <paramref name="at"/> (event time).</summary>
    public static (AdmissionChange? Change, Refusal? Refused) Discharge(
        string facility, string bed, DateTimeOffset at, IReadOnlyList<Admission> bedAdmissions, string actor, DateTimeOffset now)
    {
        if (bedAdmissions.FirstOrDefault(a => a.To is null) is not { } occupant)
        {
            return Refuse($"no sleeper is admitted to bed '{bed}'");
        }

        if (at <= occupant.From)
        {
            return Refuse($"a discharge at {Time(at)} must come after the admission began ({Time(occupant.From)})");
        }

        return (new AdmissionChange(occupant with { To = at }, null,
            [Audit(now, at, facility, bed, "discharge", actor, $"sleeper {occupant.SleeperId}")]), null);
    }

    internal static AuditEntry Audit(DateTimeOffset now, DateTimeOffset? at, string facility, string? bed, string action, string actor, string detail) =>
        new(0, now, at, facility, bed, null, action, actor, detail);

    private static (AdmissionChange?, Refusal?) Refuse(string problem) => (null, new Refusal(StatusCodes.Status409Conflict, problem));

    private static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
}

using System.Text.Json;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Alarms;

/// <summary>What a dashboard shows for a bed's Architect: what the hub asked for and what the edge reports.</summary>
/// <param name="Requested">True = pause requested, false = resume requested, null = never commanded.</param>
/// <param name="Confirmed">The edge reports the interlock engaged (from its newest data).</param>
/// <param name="Pending">A command has not been confirmed yet.</param>
public sealed record InterlockView(
    string Bed,
    string Facility,
    bool? Requested,
    string? CommandId,
    string? RequestedBy,
    DateTimeOffset? RequestedAt,
    string? Reason,
    bool Confirmed,
    DateTimeOffset? ConfirmedAt,
    bool Pending);

/// <summary>
/// The Architect interlock from the hub's side (docs/alarms.md, "Architect interlock"): a supervisor (or the automatic
/// rule) asks for pause or resume; the hub publishes a <see cref="CommandMessage"/> retained on the bed's <c>cmd</c> topic,
/// audits it, and watches the edge's data until the reported interlock state matches (audited as confirmed).
/// </summary>
internal sealed class ArchitectInterlock(AlarmEngine engine, IAlarmStore store, HubPublisher publisher, BedRegistry beds, TimeProvider time, ILogger<ArchitectInterlock> logger,
    Cluster.ClusterRole? role = null)
{
    public const string AutoRule = "auto-rule";
    private readonly Lock _sync = new();
    private readonly Dictionary<(string Facility, string Bed), InterlockRequest> _requests = [];

    /// <summary>Raised when a request is made or confirmed.</summary>
    public event Action<InterlockView>? Changed;

    public void Load()
    {
        lock (_sync)
        {
            _requests.Clear();
            foreach (var r in store.LoadInterlocks())
            {
                _requests[(r.Facility, r.Bed)] = r;
            }
        }
    }

    /// <summary>Asks a bed's edge to engage (pause) or release (resume) the interlock. 404 for a bed the hub does not know.</summary>
    public (InterlockView? View, int Status, string? Error) Request(string bedId, string? facility, bool engage, string user, string? reason)
    {
        if (role is { IsActive: false })
        {
            // Only the active hub commands edges (a standby's automatic rule, or an action that got past the API's gate).
            return (null, 503, $"this hub is not active ({role.RoleName}); the active hub takes commands");
        }

        if (reason is { Length: > 500 })
        {
            return (null, 400, "reason is longer than 500 characters");
        }

        if (beds.Find(bedId, facility) is not { } bed)
        {
            return (null, 404, $"no bed '{bedId}'{(facility is null ? "" : $" in facility '{facility}'")}");
        }

        var now = time.GetUtcNow();
        var command = new CommandMessage
        {
            Bed = bed.Id,
            Id = Guid.CreateVersion7().ToString("N")[..20],
            Ts = now,
            Action = engage ? CommandActions.Pause : CommandActions.Resume,
            IssuedBy = user,
        };
        var request = new InterlockRequest(bed.Facility, bed.Id, engage, command.Id, user, now, reason, null);
        try
        {
            store.SaveInterlock(request);
            engine.AppendAudit(new AuditEntry(0, now, bed.LastEventTime, bed.Facility, bed.Id, null,
                engage ? "architect-pause-requested" : "architect-resume-requested", user, $"command {command.Id}{(reason is null ? "" : $": {reason}")}"));
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            Log.AlarmActionFailed(logger, command.Id, ex);
            return (null, 503, $"the store could not record the command: {ex.Message}");
        }

        lock (_sync)
        {
            _requests[(bed.Facility, bed.Id)] = request;
        }

        // Retained: the retained command is the state the hub wants, so an edge that (re)connects applies it at once.
        publisher.Enqueue(new HubMessage(Topics.For(bed.Facility, bed.Id, Topics.Command),
            JsonSerializer.SerializeToUtf8Bytes(command, SomnisJsonContext.Default.CommandMessage), Retain: true));
        Log.ArchitectCommand(logger, command.Action, bed.Id, user, command.Id);
        var view = View(bed);
        Changed?.Invoke(view);
        return (view, 202, null);
    }

    /// <summary>The automatic rule: a high-priority architect-deprivation pauses the bed's Architect (when configured).</summary>
    public void OnDeprivation(Alarm alarm)
    {
        lock (_sync)
        {
            if (_requests.TryGetValue((alarm.Facility, alarm.Bed!), out var r) && r.Engaged)
            {
                return;
            }
        }

        Request(alarm.Bed!, alarm.Facility, engage: true, AutoRule, $"alarm {alarm.Id}: {alarm.Summary}");
    }

    /// <summary>A bed's interlock (a standby: the requests as the active stored them; throws while the store cannot be read).</summary>
    public InterlockView? View(string bedId, string? facility) => beds.Find(bedId, facility) is { } bed ? View(bed, Stored()) : null;

    /// <summary>Every bed's interlock, for the live feed's snapshot: a standby shows the stored requests, and while it cannot
    /// read the store the ones it holds itself rather than failing the feed.</summary>
    public IReadOnlyList<InterlockView> All()
    {
        IReadOnlyDictionary<(string Facility, string Bed), InterlockRequest>? stored = null;
        try
        {
            stored = Stored();
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            // By design: the feed's snapshot must not fail with the store; the requests this node loaded are the next best.
        }

        return [.. beds.All().Select(b => View(b, stored))];
    }

    /// <summary>
    /// Null on the active (it makes every request, so it holds them all). A standby loaded the requests when it started and
    /// does not see the active's later ones (they reach the edges, not the standby), so it reads them from the shared store,
    /// as its alarm reads do: otherwise an operator who opens a standby directly sees an Architect paused since as running.
    /// </summary>
    private Dictionary<(string Facility, string Bed), InterlockRequest>? Stored() =>
        role is { IsActive: false } ? store.LoadInterlocks().ToDictionary(r => (r.Facility, r.Bed)) : null;

    /// <summary>Compares each open request with what the edge reports; the first match is audited as confirmed.</summary>
    internal void Check(IReadOnlyList<BedSummary> all)
    {
        if (role is { IsActive: false })
        {
            // The active records confirmations; a standby reloads the requests when it takes over.
            return;
        }

        foreach (var bed in all)
        {
            InterlockRequest? confirmed = null;
            lock (_sync)
            {
                if (_requests.TryGetValue((bed.Facility, bed.Id), out var r) && r.ConfirmedAt is null && bed.InterlockEngaged == r.Engaged
                    && bed.LastSeen is { } seen && seen >= r.RequestedAt)
                {
                    confirmed = r with { ConfirmedAt = time.GetUtcNow() };
                    _requests[(bed.Facility, bed.Id)] = confirmed;
                }
            }

            if (confirmed is not null)
            {
                store.SaveInterlock(confirmed);
                engine.AppendAudit(new AuditEntry(0, confirmed.ConfirmedAt!.Value, bed.LastEventTime, bed.Facility, bed.Id, null,
                    confirmed.Engaged ? "architect-pause-confirmed" : "architect-resume-confirmed", "edge", $"command {confirmed.CommandId}"));
                Changed?.Invoke(View(bed));
            }
        }
    }

    private InterlockView View(BedSummary bed, IReadOnlyDictionary<(string Facility, string Bed), InterlockRequest>? stored = null)
    {
        InterlockRequest? r;
        if (stored is not null)
        {
            stored.TryGetValue((bed.Facility, bed.Id), out r);
        }
        else
        {
            lock (_sync)
            {
                _requests.TryGetValue((bed.Facility, bed.Id), out r);
            }
        }

        return new InterlockView(bed.Id, bed.Facility, r?.Engaged, r?.CommandId, r?.IssuedBy, r?.RequestedAt, r?.Reason,
            bed.InterlockEngaged, r?.ConfirmedAt, r is not null && r.ConfirmedAt is null);
    }
}

using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Cluster;

/// <summary>
/// Keeps this node's lease (docs/high-availability.md, "Lease and fencing"), every <see cref="HaOptions.RenewEvery"/>: the
/// active renews it, a standby tries to take it, an isolated node tries to renew its old term. Each round also writes the
/// node's heartbeat. A store call never runs past the active's deadline: when the deadline passes first, the node is
/// isolated at once (<see cref="LeaseState"/>). A clean stop releases the lease so that a standby takes over at its next try.
/// </summary>
internal sealed class LeaseKeeper : BackgroundService
{
    private readonly PostgresStore _store;
    private readonly ClusterRole _role;
    private readonly HaOptions _options;
    private readonly IServer? _server;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly Alarms.AlarmStoreWriter? _alarms;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseKeeper> _logger;
    private readonly LeaseState _state;
    private readonly LeaseReport _report;
    private readonly long _origin;
    private readonly Counter<long> _renewals;
    private string? _failing;
    private long? _takenOver;
    private Task? _call;
    private Task? _heartbeat;

    public LeaseKeeper(PostgresStore store, ClusterRole role, IOptions<HaOptions> options, TimeProvider time, IMeterFactory meters, ILogger<LeaseKeeper> logger,
        IServer? server = null, IHostApplicationLifetime? lifetime = null, Alarms.AlarmStoreWriter? alarms = null, LeaseReport? report = null)
    {
        _report = report ?? new LeaseReport(time);
        _lifetime = lifetime;
        _alarms = alarms;
        _store = store;
        _role = role;
        _options = options.Value;
        _server = server;
        _time = time;
        _logger = logger;
        _state = new LeaseState(_options.LeaseTime, _options.SafetyMargin);
        _origin = time.GetTimestamp();
        _renewals = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.ha.lease_renewals", "{attempt}",
            "Lease attempts by outcome: renewed, acquired, lost, held-by-other, failed");
    }

    /// <summary>Now, on the node's monotonic clock.</summary>
    private TimeSpan Now => _time.GetElapsedTime(_origin);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before every service has started: a takeover needs the alarm engine connected and the server listening.
        if (_lifetime is not null)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
            {
                try
                {
                    await started.Task;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // By design: a failed round (a takeover that could not load the store, say) is logged; the next round tries
                // again, and the deadline still holds because every round checks it first.
                Log.LeaseRoundFailed(_logger, ex);
            }

            // Wake at the deadline if it comes before the next round: an active must stop acting on time.
            var wait = _options.RenewEvery;
            if (_state.TimeLeft(Now) is { } left && left < wait)
            {
                wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }

            try
            {
                await Task.Delay(wait, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Release();
    }

    /// <summary>One round: renew or take the lease, apply the outcome to the role, write the heartbeat.</summary>
    internal async Task RunOnceAsync(CancellationToken ct)
    {
        var before = _state.Role;
        if (_state.Check(Now))
        {
            Apply(before, "its lease could not be renewed in time");
            before = _state.Role;
        }

        var sentAt = Now;
        // The active may wait for the store only until its deadline; otherwise a round may take as long as a lease.
        var budget = _state.TimeLeft(sentAt) is { } left ? left : _options.LeaseTime - _options.SafetyMargin;
        string? reason = null;
        try
        {
            if (_state.Term is { } term)
            {
                var renewed = budget > TimeSpan.Zero && await CallAsync(() => _store.RenewLease(_role.Node, _role.Instance, term, _options.LeaseTime, budget), budget, ct);
                if (renewed)
                {
                    _report.Answered();
                    _state.Renewed(sentAt, Now);
                    Count("renewed");
                }
                else if (budget > TimeSpan.Zero)
                {
                    _report.Answered();
                    _state.Lost();
                    Count("lost");
                    reason = "another node holds the lease";
                }
            }
            else
            {
                var (acquired, holder) = await CallAsync(() => TryAcquire(budget), budget, ct);
                _report.Answered();
                if (acquired is { } newTerm)
                {
                    _state.Acquired(newTerm, sentAt, Now);
                    Count("acquired");
                }
                else
                {
                    Count("held-by-other");
                    _role.SeeHolder(holder);
                }
            }

            Reachable();
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            Count("failed");
            Unreachable(ex);
            _state.Check(Now);
            reason = "its lease could not be renewed in time";
        }

        _report.Acting(_state.TimeLeft(Now));
        Apply(before, reason ?? "its lease could not be renewed in time");
        await HeartbeatAsync(ct);
    }

    /// <summary>The node's heartbeat, waited for only until the deadline (a standby: one round): against a store that hangs
    /// it returns only at Npgsql's timeouts (seconds), and a round held that long would let an active act past its deadline.
    /// One at a time; one still running is left to finish.</summary>
    private async Task HeartbeatAsync(CancellationToken ct)
    {
        if (_heartbeat is not { IsCompleted: false })
        {
            _heartbeat = StoreThread.Run(Heartbeat, ct);
        }

        var wait = _state.TimeLeft(Now) ?? _options.RenewEvery;
        try
        {
            await _heartbeat.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, ct);
        }
        catch (TimeoutException)
        {
            // By design: it ends on its own (a failure is logged by Heartbeat); the lease rounds go on meanwhile.
        }
    }

    /// <summary>Takes the lease if it is free, else reads who holds it.</summary>
    private (long? Term, string? Holder) TryAcquire(TimeSpan budget) =>
        _store.TryAcquireLease(_role.Node, _role.Instance, _options.LeaseTime, budget) is { } term ? (term, null) : (null, _store.ReadLease().Holder);

    /// <summary>Gives the lease up when this node holds it (a clean stop).</summary>
    internal void Release()
    {
        if (_state.Term is not { } term)
        {
            return;
        }

        var before = _state.Role;
        try
        {
            // What the active decided is stored under its term before it gives the term up.
            _alarms?.Flush();
            if (_store.ReleaseLease(_role.Node, _role.Instance, term, _options.LeaseTime))
            {
                Log.LeaseReleased(_logger, _role.Node, term);
            }
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            // The lease then simply expires: a standby takes over after LeaseTime instead of at once.
            Log.LeaseRoundFailed(_logger, ex);
        }

        _state.Lost();
        _report.Acting(null);
        Apply(before, "it stops");
        Heartbeat();
    }

    /// <summary>Makes the role what the state says; a new term is taken over (shared state loaded) before the node is active.</summary>
    private void Apply(HubRole before, string reason)
    {
        var now = _state.Role;
        if (now == HubRole.Active && _takenOver != _state.Term)
        {
            var term = _state.Term!.Value;
            try
            {
                _role.TakeOver(term);
            }
            catch
            {
                // Not active without the shared state: give the term up (this instance may take the lease again at once).
                _state.Lost();
                _role.Set(HubRole.Standby, null, null);
                throw;
            }

            _takenOver = term;
            Log.LeaseAcquired(_logger, _role.Node, term);
            return;
        }

        if (now == before)
        {
            return;
        }

        if (now == HubRole.Standby)
        {
            _takenOver = null;
        }

        _role.Set(now, _state.Term, now == HubRole.Active ? _role.Node : null);
        if (now == HubRole.Active)
        {
            Log.LeaseRenewedAgain(_logger, _role.Node, _state.Term!.Value);
        }
        else
        {
            Log.LeaseLost(_logger, _role.Node, reason, ClusterRole.Name(now));
        }
    }

    private void Heartbeat()
    {
        try
        {
            var url = _server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            _store.Heartbeat(_role.Node, _role.Instance, url, _role.RoleName, _options.RenewEvery);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            // By design: a missed heartbeat only ages this node's row in /api/cluster; the lease round says the rest.
            Unreachable(ex);
        }
    }

    /// <summary>A lease call, waited for within <paramref name="budget"/>. One at a time: against a store that hangs (a network
    /// black hole) a call outlives its round until Npgsql's own timeouts (seconds); a new call each round would pile up
    /// blocked threads (<see cref="StoreThread"/>). A round that finds the last call still running fails as if it had timed out.</summary>
    private async Task<T> CallAsync<T>(Func<T> call, TimeSpan budget, CancellationToken ct)
    {
        if (_call is { IsCompleted: false })
        {
            throw new TimeoutException("the previous lease call has not returned yet");
        }

        var task = StoreThread.Run(call, ct);
        _call = task;
        return await task.WaitAsync(budget, _time, ct);
    }

    private void Count(string outcome) => _renewals.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    private void Unreachable(Exception ex)
    {
        _report.Failed(ex.Message);
        if (_failing is null)
        {
            _failing = ex.Message;
            Log.LeaseStoreUnreachable(_logger, _role.Node, ex.Message);
        }
    }

    private void Reachable()
    {
        if (_failing is not null)
        {
            _failing = null;
            Log.LeaseStoreReachable(_logger, _role.Node);
        }
    }
}

using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Cluster;

/// <summary>What a hub node does (docs/high-availability.md, "Roles").</summary>
public enum HubRole
{
    /// <summary>HA off: the only hub, always acting (the behaviour without <c>Ha:Enabled</c>).</summary>
    Single,

    /// <summary>Holds the lease: raises and stores alarms, notifies, commands, takes operator actions.</summary>
    Active,

    /// <summary>Does not hold the lease: ingests and scores hot, evaluates alarms in memory, acts on nothing.</summary>
    Standby,

    /// <summary>Held the lease but could not renew it in time: keeps watching, queues its writes, holds notifications and
    /// refuses operator actions until it renews the same term (active again) or finds another holder (standby).</summary>
    Isolated,
}

/// <summary>
/// This node's role, the one gate every side effect asks (<see cref="IsActive"/>) and the fencing token
/// (<see cref="Term"/>) the shared store checks in every write. Set by the <see cref="LeaseKeeper"/> only; without
/// <c>Ha:Enabled</c> the role is <see cref="HubRole.Single"/> for good.
/// </summary>
internal sealed class ClusterRole
{
    private readonly Lock _sync = new();
    private readonly Counter<long>? _fenced;
    private HubRole _role;
    private long? _term;
    private string? _holder;

    public ClusterRole(IOptions<HubOptions> hub, IOptions<HaOptions> ha, IMeterFactory meters)
    {
        Node = hub.Value.NodeName;
        Enabled = ha.Value.Enabled;
        RetryAfter = (int)Math.Ceiling(ha.Value.LeaseTime.TotalSeconds);
        _role = Enabled ? HubRole.Standby : HubRole.Single;
        var meter = meters.Create(HubMetrics.MeterName);
        _fenced = meter.CreateCounter<long>("somnis.ha.fenced_writes", "{write}", "Shared-store writes refused because this node no longer holds the lease term");
        meter.CreateObservableGauge("somnis.ha.role", () => Enum.GetValues<HubRole>().Select(r =>
            new Measurement<int>(r == Role ? 1 : 0, new KeyValuePair<string, object?>("role", Name(r)))), "{role}", "1 for this node's current role (single, active, standby, isolated)");
    }

    /// <summary>A role fixed at <see cref="HubRole.Single"/> (unit tests, tools).</summary>
    private ClusterRole()
    {
        Node = "hub";
        _role = HubRole.Single;
    }

    public static ClusterRole Single { get; } = new();

    /// <summary>This node's name (<c>Hub:Node</c>).</summary>
    public string Node { get; }

    /// <summary>A random id of this process: a restarted node with the same name is another instance, and takes a new term.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    public bool Enabled { get; }

    /// <summary>Seconds for a refusal's <c>Retry-After</c>: by then a new active has been chosen.</summary>
    public int RetryAfter { get; } = 4;

    public HubRole Role
    {
        get
        {
            lock (_sync)
            {
                return _role;
            }
        }
    }

    /// <summary>The role as the API and logs write it.</summary>
    public string RoleName => Name(Role);

    /// <summary>Acts on the outside world and on the shared state (single or active): the gate of every side effect.</summary>
    public bool IsActive => Role is HubRole.Single or HubRole.Active;

    /// <summary>The lease term this node holds or held last (active, isolated), else null: its fencing token.</summary>
    public long? Term
    {
        get
        {
            lock (_sync)
            {
                return _term;
            }
        }
    }

    /// <summary>The node that holds the lease as last seen (this node when active), or null.</summary>
    public string? Holder
    {
        get
        {
            lock (_sync)
            {
                return _holder;
            }
        }
    }

    /// <summary>Raised after each change of role, on the lease keeper's thread: (old, new).</summary>
    public event Action<HubRole, HubRole>? RoleChanged;

    /// <summary>Raised when this node has just taken the lease and before it is active: listeners load the shared state
    /// (open alarms, interlock requests) and may already write under the new term. One that throws stops the takeover.</summary>
    public event Action<long>? TakingOver;

    public static string Name(HubRole role) => role switch
    {
        HubRole.Single => "single",
        HubRole.Active => "active",
        HubRole.Standby => "standby",
        _ => "isolated",
    };

    /// <summary>Checks a shared-store write against the lease: throws <see cref="FencedException"/> when this node holds no
    /// term (standby). With HA off there is no fence (null).</summary>
    /// <returns>The (node, term) the store must find in the lease row, or null when writes are not fenced.</returns>
    public (string Node, long Term)? Fence()
    {
        if (!Enabled)
        {
            return null;
        }

        if (Term is not { } term)
        {
            throw Fenced("this node holds no lease term (standby)");
        }

        return (Node, term);
    }

    /// <summary>A write refused by the fence (counted).</summary>
    public FencedException Fenced(string reason)
    {
        _fenced?.Add(1);
        return new FencedException($"write refused: node {Node} is not the active hub ({reason})");
    }

    /// <summary>Sets the role (the lease keeper only) and raises <see cref="RoleChanged"/> when it changed.</summary>
    internal void Set(HubRole role, long? term, string? holder)
    {
        HubRole old;
        lock (_sync)
        {
            old = _role;
            _role = role;
            _term = term;
            _holder = holder;
        }

        if (old != role)
        {
            RoleChanged?.Invoke(old, role);
        }
    }

    /// <summary>Takes over under <paramref name="term"/> (the lease keeper only): the term fences writes at once, the
    /// <see cref="TakingOver"/> listeners run, and only then is the node <see cref="HubRole.Active"/>.</summary>
    internal void TakeOver(long term)
    {
        lock (_sync)
        {
            _term = term;
        }

        TakingOver?.Invoke(term);
        Set(HubRole.Active, term, Node);
    }

    /// <summary>The holder seen by a standby (for the 503's <c>active</c>).</summary>
    internal void SeeHolder(string? holder)
    {
        lock (_sync)
        {
            _holder = holder;
        }
    }
}

/// <summary>A shared-store write refused because the writer does not hold the current lease term (docs/high-availability.md,
/// "Fencing"). Not transient: retrying cannot make a stale holder current again.</summary>
internal sealed class FencedException(string message) : DbException(message)
{
    public override bool IsTransient => false;
}

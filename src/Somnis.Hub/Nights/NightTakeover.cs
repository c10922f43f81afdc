using Somnis.Hub.Cluster;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Nights;

/// <summary>
/// A standby scores every night hot but writes none of it (docs/high-availability.md, "Roles"). When it becomes active,
/// its open nights are stored again as it scored them: the epochs the old active had not written before it died are then
/// in the store too (the rest are the same rows, upserted by index), so a failover leaves no hole in tonight's hypnogram.
/// </summary>
internal sealed class NightTakeover(DetectionService detection, ILogger<NightTakeover> logger, ClusterRole? role = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (role is not null)
        {
            role.RoleChanged += OnRoleChanged;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (role is not null)
        {
            role.RoleChanged -= OnRoleChanged;
        }

        return Task.CompletedTask;
    }

    /// <summary>Only from standby: an isolated node that renews its term kept (and writes) its own queue.</summary>
    internal void OnRoleChanged(HubRole before, HubRole now)
    {
        if (before == HubRole.Standby && now == HubRole.Active)
        {
            Log.TakeoverNightsRecorded(logger, role!.Node, detection.RecordOpenNights());
        }
    }
}

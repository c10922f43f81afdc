using System.Text.Json;
using Microsoft.Extensions.Options;
using Somnis.Hub.Broker;
using Somnis.Hub.Cluster;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Alarms;

/// <summary>The alarm feature: engine, operator actions, store seam and its write-behind writer, hub-time clock, notifications
/// (live feed, MQTT through the <see cref="HubPublisher"/> of <c>AddBroker()</c>, webhook), Architect interlock.</summary>
internal static class AlarmComposition
{
    /// <summary>Call after <c>AddStorage()</c> (which registers the <see cref="IAlarmStore"/> of the configured store) and before <c>AddIngestion()</c>.</summary>
    public static IHostApplicationBuilder AddAlarms(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IConfigureOptions<AlarmOptions>, AlarmOptionsSetup>();
        services.AddOptionsWithValidateOnStart<AlarmOptions, AlarmOptionsValidator>();
        services.AddSingleton<AlarmStoreWriter>();
        services.AddSingleton<IBeforeAcknowledge>(sp => sp.GetRequiredService<AlarmStoreWriter>());
        services.AddSingleton<AlarmEngine>();
        services.AddSingleton<IVitalsRecorder>(sp => sp.GetRequiredService<AlarmEngine>());
        services.AddSingleton<AlarmActions>();
        services.AddSingleton<ArchitectInterlock>();
        AlarmWebhook.AddHttpClient(services);
        services.AddSingleton<AlarmWebhook>();
        services.AddHostedService<AlarmStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<AlarmWebhook>());
        services.AddSingleton<AlarmClock>();
        services.AddHostedService(sp => sp.GetRequiredService<AlarmClock>());
        return builder;
    }
}

/// <summary>At start-up (after the store is migrated, before ingestion): loads open alarms and interlock requests and
/// connects the engine to detection and to the notifiers. With HA on the engine starts as a standby's (in memory only) and
/// follows the node's role: a takeover reloads alarms and interlock requests from the store (docs/high-availability.md).</summary>
internal sealed class AlarmStartup(
    AlarmEngine engine,
    ArchitectInterlock interlock,
    DetectionService detection,
    HubPublisher publisher,
    AlarmWebhook webhook,
    LiveFeed feed,
    IOptions<AlarmOptions> options,
    ClusterRole role,
    ILogger<AlarmStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (role.Enabled)
        {
            engine.Shadow();
            role.TakingOver += TakeOver;
            role.RoleChanged += OnRoleChanged;
        }

        engine.Load();
        interlock.Load();
        detection.Changed += engine.OnAssessment;
        engine.Changed += feed.PushAlarm;
        engine.Changed += webhook.Enqueue;
        interlock.Changed += feed.PushInterlock;
        if (options.Value.PublishMqtt)
        {
            engine.Changed += PublishState;
        }

        if (options.Value.AutoInterlock)
        {
            engine.DeprivationRaised += interlock.OnDeprivation;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        detection.Changed -= engine.OnAssessment;
        role.TakingOver -= TakeOver;
        role.RoleChanged -= OnRoleChanged;
        return Task.CompletedTask;
    }

    private void TakeOver(long term)
    {
        var (loaded, raised) = engine.TakeOver(role.Node);
        interlock.Load();
        Log.TakeoverLoaded(logger, role.Node, term, loaded, raised);
    }

    private void OnRoleChanged(HubRole before, HubRole now)
    {
        if (now == HubRole.Standby)
        {
            engine.Shadow();
        }
    }

    /// <summary><c>somnis/{facility}/alarms/{id}</c>, retained while the alarm is open; on return to normal the final state
    /// goes out unretained and the retained message is cleared (an empty payload), so the topic tree holds only open alarms.</summary>
    private void PublishState(Alarm alarm)
    {
        var topic = $"{Somnis.Contracts.Topics.Root}/{alarm.Facility}/alarms/{alarm.Id}";
        var payload = JsonSerializer.SerializeToUtf8Bytes(alarm, HubJsonContext.Default.Alarm);
        publisher.Enqueue(new HubMessage(topic, payload, Retain: !alarm.Closed));
        if (alarm.Closed)
        {
            publisher.Enqueue(new HubMessage(topic, [], Retain: true));
        }
    }
}

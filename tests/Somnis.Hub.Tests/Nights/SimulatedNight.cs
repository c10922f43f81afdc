using Somnis.Contracts;
using Somnis.Edge.Simulation;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Tests.Nights;

/// <summary>
/// A whole simulated night of one bed through the live tracker (the edge's sleeper model, the hub's scorer), fed to a
/// <see cref="NightRecorder"/> the way the live path is meant to call it: <c>Started</c> when the night begins, each batch
/// of fresh epochs, every assessment update, metrics every 20 epochs, <c>Ended</c> with the final metrics.
/// </summary>
internal sealed class SimulatedNight
{
    public static readonly DateTimeOffset Evening = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    public NightKey Key { get; private set; }

    /// <summary>Every epoch handed to the recorder, in order.</summary>
    public List<ScoredEpoch> Epochs { get; } = [];

    public List<AssessmentUpdate> Updates { get; } = [];

    public NightSummary? Summary { get; private set; }

    /// <summary>Simulates <paramref name="hours"/> of data of one bed from <paramref name="evening"/> and ends the night.</summary>
    public static SimulatedNight Run(NightRecorder? recorder, Scenario scenario, int seed, DateTimeOffset? evening = null,
        string facility = "nexus", string bed = "bed-01", double hours = 9, int stopAfterMessages = int.MaxValue)
    {
        var night = new SimulatedNight();
        var t0 = evening ?? Evening;
        using var source = new SimulatedBedSource(new SleeperModel(scenario, seed), seed, 1);
        var tracker = new SleepTracker(facility, bed, new DetectionOptions());
        NightKey? key = null;
        var messages = (int)(hours * 360);
        for (var i = 1; i <= messages && i <= stopAfterMessages; i++)
        {
            var r = source.Next(TimeSpan.FromSeconds(10));
            var before = tracker.Epochs.Count;
            var updates = tracker.Add(new VitalsMessage
            {
                Bed = bed, Seq = i, Ts = t0.AddSeconds(10 * i), IntervalSeconds = 10, HeartRate = r.HeartRate, RespirationRate = r.RespirationRate,
                ActivityCount = r.ActivityCount, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality, ArchitectStimulating = r.ArchitectStimulating,
            });
            if (tracker.Scorer is not null && key is null)
            {
                key = recorder?.Started(facility, bed, tracker.NightStart) ?? new NightKey(facility, bed, tracker.NightStart);
            }

            if (key is not { } k)
            {
                continue;
            }

            var fresh = tracker.Epochs.Skip(before).ToList();
            night.Epochs.AddRange(fresh);
            recorder?.Epochs(k, fresh);
            foreach (var u in updates)
            {
                night.Updates.Add(u);
                recorder?.Assessment(k, u);
            }

            if (fresh.Count > 0 && tracker.Epochs.Count % 20 == 0)
            {
                recorder?.Progress(k, tracker.CurrentMetrics());
            }
        }

        night.Key = key ?? throw new InvalidOperationException("the sleeper never lay down");
        if (stopAfterMessages < messages)
        {
            return night;
        }

        var last = new List<AssessmentUpdate>();
        tracker.EndNight(last);
        night.Summary = tracker.PastNights[^1];
        foreach (var u in last)
        {
            night.Updates.Add(u);
            recorder?.Assessment(night.Key, u);
        }

        recorder?.Ended(night.Key, night.Summary.End!.Value, night.Summary.Metrics);
        return night;
    }
}

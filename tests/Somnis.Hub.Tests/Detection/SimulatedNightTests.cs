using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Edge.Simulation;
using Somnis.Hub.Detection;
using Xunit.Abstractions;

namespace Somnis.Hub.Tests.Detection;

/// <summary>
/// The live detection path over whole simulated nights, against the simulator's ground truth: every scenario, several
/// seeds. The deprivation scenario must be recognised; healthy and sensor-fault beds must not raise
/// architect-deprivation.
/// </summary>
public sealed class SimulatedNightTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private static readonly int[] Seeds = [1, 2, 3, 4, 5, 6];

    private sealed record NightResult(Scenario Scenario, int Seed, List<AssessmentUpdate> Updates, double Accuracy, double Sensitivity, double Specificity, double TruthTstH, double ScoredTstH, double? FirstDeprivationMin);

    private static NightResult Run(Scenario scenario, int seed)
    {
        var model = new SleeperModel(scenario, seed);
        using var source = new SimulatedBedSource(model, seed, 1);
        var detection = new DetectionService(Options.Create(new DetectionOptions()), NullLogger<DetectionService>.Instance);
        var updates = new List<AssessmentUpdate>();
        detection.Changed += updates.Add;
        var truth = new List<bool?>();
        var asleepSeconds = 0;
        var interval = TimeSpan.FromSeconds(10);
        BedNight? night = null;
        for (var i = 1; i <= 10 * 360; i++)
        {
            var r = source.Next(interval);
            foreach (var p in source.LastInterval)
            {
                // Truth TST of the first night only (it ends with the day out of bed at 9.5 h).
                asleepSeconds += p.Asleep && p.Elapsed < TimeSpan.FromHours(9.5) ? 1 : 0;
            }

            if ((i - 1) % 3 == 0)
            {
                truth.Add(null);
            }

            // Ground truth per 30-s epoch: asleep for most of it; out of bed epochs are not scored.
            var epochIndex = (i - 1) / 3;
            var asleep = source.LastInterval.Count(p => p.Asleep);
            var inBed = source.LastInterval.Count(p => p.InBed);
            truth[epochIndex] = (truth[epochIndex] is null ? 0 : 1) == 0 && inBed == 0 ? null : asleep * 2 > source.LastInterval.Count;
            detection.OnVitals("sim", new VitalsMessage
            {
                Bed = "bed-01", Seq = i, Ts = T0 + (interval * i), IntervalSeconds = 10, HeartRate = r.HeartRate, RespirationRate = r.RespirationRate,
                ActivityCount = r.ActivityCount, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality, ArchitectStimulating = r.ArchitectStimulating,
            });
            if (i == 9 * 360)
            {
                night = detection.Night("sim", "bed-01");
            }
        }

        // Score the in-bed part of the first night against the truth.
        var past = detection.Night("sim", "bed-01")!.PastNights;
        var epochs = night!.Epochs;
        int tp = 0, tn = 0, fp = 0, fn = 0;
        foreach (var e in epochs)
        {
            var k = (int)((e.Start - T0).TotalSeconds / 30);
            if (k < 0 || k >= truth.Count || truth[k] is not { } t || e.State == EpochState.OutOfBed)
            {
                continue;
            }

            (tp, tn, fp, fn) = (e.IsSleep, t) switch
            {
                (true, true) => (tp + 1, tn, fp, fn),
                (false, false) => (tp, tn + 1, fp, fn),
                (true, false) => (tp, tn, fp + 1, fn),
                _ => (tp, tn, fp, fn + 1),
            };
        }

        var firstDeprivation = updates.FirstOrDefault(u => u.Type == AssessmentTypes.ArchitectDeprivation && u.Active);
        return new NightResult(scenario, seed, updates, (double)(tp + tn) / (tp + tn + fp + fn), (double)tp / Math.Max(1, tp + fn), (double)tn / Math.Max(1, tn + fp),
            asleepSeconds / 3600.0, past.Count > 0 ? past[0].Metrics.TotalSleepMin / 60 : double.NaN,
            firstDeprivation is null ? null : (firstDeprivation.EventTime - T0).TotalMinutes);
    }

    [Fact]
    public void Each_scenario_is_recognised_and_healthy_beds_raise_no_deprivation()
    {
        var results = Scenarios.All.SelectMany(s => Seeds.Select(seed => Run(s, seed))).ToList();
        output.WriteLine("scenario               seed  acc   sens  spec  TST truth  TST scored  deprivation at  alarms raised");
        foreach (var r in results)
        {
            var raised = string.Join(", ", r.Updates.Where(u => u.Active).Select(u => u.Type).Distinct());
            output.WriteLine($"{r.Scenario.Name(),-22} {r.Seed,4}  {r.Accuracy:0.00}  {r.Sensitivity:0.00}  {r.Specificity:0.00}  {r.TruthTstH,7:0.00} h  {r.ScoredTstH,8:0.00} h  {(r.FirstDeprivationMin is { } m ? $"{m,6:0} min" : "     -    "),14}  {raised}");
        }

        foreach (var group in results.GroupBy(r => r.Scenario))
        {
            var detected = group.Count(r => r.FirstDeprivationMin is not null);
            output.WriteLine($"{group.Key.Name()}: architect-deprivation on {detected}/{group.Count()} nights; mean epoch accuracy {group.Average(r => r.Accuracy):0.000}, specificity {group.Average(r => r.Specificity):0.000}");
        }

        Assert.All(results.Where(r => r.Scenario == Scenario.ArchitectDeprivation), r => Assert.NotNull(r.FirstDeprivationMin));
        Assert.All(results.Where(r => r.Scenario != Scenario.ArchitectDeprivation), r => Assert.Null(r.FirstDeprivationMin));

        // Recognised within the first stimulation bouts (they start 40 min after lights-off), not at the end of the night.
        Assert.All(results.Where(r => r.Scenario == Scenario.ArchitectDeprivation), r => Assert.InRange(r.FirstDeprivationMin!.Value, 40, 150));

        // The scorer follows the simulator's truth on undisturbed nights. Under deprivation it calls the light N1
        // sleep between the Architect's pulls wake (raised heart rate, movement), so it sees even less sleep than the truth.
        Assert.All(results.Where(r => r.Scenario != Scenario.ArchitectDeprivation), r => Assert.True(r.Accuracy >= 0.85, $"{r.Scenario.Name()} seed {r.Seed}: accuracy {r.Accuracy:0.00}"));
        Assert.All(results.Where(r => r.Scenario != Scenario.ArchitectDeprivation), r => Assert.InRange(r.ScoredTstH - r.TruthTstH, -0.75, 0.75));
        Assert.All(results.Where(r => r.Scenario == Scenario.ArchitectDeprivation), r => Assert.InRange(r.ScoredTstH, 0, r.TruthTstH));

        // Healthy sleepers sleep over 7 h: no acute-sleep-loss for them.
        Assert.All(results.Where(r => r.Scenario == Scenario.Healthy), r => Assert.DoesNotContain(r.Updates, u => u.Type == AssessmentTypes.AcuteSleepLoss && u.Active));
        Assert.All(results.Where(r => r.Scenario == Scenario.ArchitectDeprivation), r => Assert.Contains(r.Updates, u => u.Type == AssessmentTypes.AcuteSleepLoss && u.Active));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_dream_exchange_fault_across_the_facility_is_one_incident_naming_the_beds(int seed)
    {
        // The demo's facility (seed 1 is the demo itself): 24 beds, the mix, a fault at 04:00 hitting a third of the beds.
        const int fleet = 24;
        var edge = new Somnis.Edge.EdgeOptions { Beds = fleet, Scenario = "mix", Seed = seed, IncidentAt = TimeSpan.FromHours(4), IncidentShare = 0.33 };
        var factory = new Somnis.Edge.BedSourceFactory(Options.Create(edge));
        var sources = Enumerable.Range(0, fleet).Select(i => (SimulatedBedSource)factory.Create($"bed-{i + 1:00}", i, fleet)).ToList();
        var detection = new DetectionService(Options.Create(new DetectionOptions()), NullLogger<DetectionService>.Instance);
        var incidents = new List<AssessmentUpdate>();
        detection.Changed += u =>
        {
            if (u.Type == AssessmentTypes.FacilityIncident)
            {
                incidents.Add(u);
            }
        };
        var interval = TimeSpan.FromSeconds(10);
        for (var i = 1; i <= 9 * 360; i++)
        {
            for (var b = 0; b < fleet; b++)
            {
                var r = sources[b].Next(interval);
                detection.OnVitals("nexus", new VitalsMessage
                {
                    Bed = $"bed-{b + 1:00}", Seq = i, Ts = T0 + (interval * i), IntervalSeconds = 10, HeartRate = r.HeartRate,
                    ActivityCount = r.ActivityCount, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality, ArchitectStimulating = r.ArchitectStimulating,
                });
            }
        }

        foreach (var s in sources)
        {
            s.Dispose();
        }

        foreach (var u in incidents)
        {
            output.WriteLine($"{u.EventTime - T0} active={u.Active} {u.Summary}");
        }

        var raised = incidents.Where(u => u.Active).ToList();
        Assert.NotEmpty(raised);
        Assert.Single(incidents, u => !u.Active);
        Assert.All(raised, u => Assert.InRange(u.EventTime - T0, TimeSpan.FromHours(4), TimeSpan.FromHours(4.25)));
        var beds = raised[^1].Beds!;
        Assert.True(beds.Count >= 4, $"only {beds.Count} beds grouped");
        Assert.All(beds, b => Assert.True(int.Parse(b[4..], System.Globalization.CultureInfo.InvariantCulture) <= 8, $"{b} was not hit by the fault"));
        Assert.Contains(incidents, u => !u.Active);
    }
}

using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

public sealed class AssessmentTests
{
    private static string Min(char c, double minutes) => Epochs.Repeat(c, TimeSpan.FromMinutes(minutes));

    /// <summary>2 h of ordinary sleep at 55 bpm, then 40 min of the given pattern.</summary>
    private static List<ScoredEpoch> Night(string last40, double lastHr, bool stimulated) =>
        Epochs.From(Min('S', 120) + last40,
            hr: (i, c) => i < 240 ? 55 : c == 'S' ? 58 : lastHr,
            stimulating: i => stimulated && i >= 240);

    private static string Deprived => string.Concat(Enumerable.Repeat(Min('W', 4) + Min('S', 1), 8));

    [Fact]
    public void Healthy_sleep_under_stimulation_does_not_raise_deprivation()
    {
        var epochs = Night(Min('S', 38) + Min('W', 2), lastHr: 62, stimulated: true);

        Assert.Null(ArchitectDeprivation.Assess(epochs, ArchitectDeprivation.SleepingBaseline(epochs)));
    }

    [Fact]
    public void Kept_awake_with_raised_hr_during_stimulation_raises_deprivation_with_evidence()
    {
        var epochs = Night(Deprived, lastHr: 72, stimulated: true);

        var evidence = ArchitectDeprivation.Assess(epochs, ArchitectDeprivation.SleepingBaseline(epochs));

        Assert.NotNull(evidence);
        Assert.Equal(30, evidence.StimulatedMin);
        Assert.True(evidence.SleepEfficiencyStimulated < 0.5);
        Assert.Equal(55, evidence.BaselineHr);
        Assert.True(evidence.HrRise > 0.10);
        Assert.Equal(epochs[^1].Start.AddSeconds(30), evidence.WindowEnd);
    }

    [Fact]
    public void Repeated_awakenings_during_stimulation_count_even_with_fair_efficiency()
    {
        // Asleep 2/3 of the time but woken 10 times.
        var epochs = Night(string.Concat(Enumerable.Repeat(Min('S', 2) + Min('W', 1) + Min('S', 1), 10)), lastHr: 70, stimulated: true);

        var evidence = ArchitectDeprivation.Assess(epochs, ArchitectDeprivation.SleepingBaseline(epochs));

        Assert.NotNull(evidence);
        Assert.True(evidence.AwakeningsStimulated >= 3);
    }

    [Fact]
    public void The_same_evidence_without_stimulation_is_not_attributed_to_the_architect()
    {
        var epochs = Night(Deprived, lastHr: 72, stimulated: false);

        Assert.Null(ArchitectDeprivation.Assess(epochs, ArchitectDeprivation.SleepingBaseline(epochs)));
        // It is still seen, as arousal: the wake stretches are 4 min at +17 bpm.
        Assert.NotEmpty(SustainedArousal.Find(epochs, 55));
    }

    [Fact]
    public void Awake_during_stimulation_without_raised_hr_is_not_deprivation()
    {
        Assert.Null(ArchitectDeprivation.Assess(Night(Deprived, lastHr: 56, stimulated: true), 55));
    }

    [Fact]
    public void Unknown_baseline_never_raises_deprivation()
    {
        Assert.Null(ArchitectDeprivation.Assess(Night(Deprived, lastHr: 72, stimulated: true), null));
    }

    [Fact]
    public void Sustained_arousal_needs_minutes_far_above_baseline_in_bed()
    {
        var epochs = Epochs.From(Min('S', 30) + Min('W', 5) + Min('S', 30) + Min('W', 2) + Min('O', 5) + Min('S', 10),
            hr: (_, c) => c == 'S' ? 56 : 80);

        var episodes = SustainedArousal.Find(epochs, 56);

        var episode = Assert.Single(episodes);   // the 2-min one is too short; out of bed does not count
        Assert.Equal(Epochs.LightsOff.AddMinutes(30), episode.Start);
        Assert.Equal(TimeSpan.FromMinutes(5), episode.Duration);
        Assert.Equal(80, episode.MeanHr);
        Assert.Empty(SustainedArousal.Find(epochs, 70));  // +10 bpm is not "far above"
    }

    [Fact]
    public void Acute_sleep_loss_projects_the_best_case_and_judges_the_final_night()
    {
        var options = AcuteSleepLossOptions.Default;

        // 4 h in, 2 h slept: even 4 more hours of sleep reach only 6 h < 7 h.
        var projected = AcuteSleepLoss.Assess(Epochs.From(Min('W', 120) + Min('S', 120)), nightFinished: false, options: options);
        Assert.Equal("projected-short", projected?.Reason);
        Assert.Equal(360, projected!.BestCaseTstMin);

        // 4 h in, 3.5 h slept: 7.5 h still reachable.
        Assert.Null(AcuteSleepLoss.Assess(Epochs.From(Min('W', 30) + Min('S', 210)), nightFinished: false, options: options));

        Assert.Equal("short-night", AcuteSleepLoss.Assess(Epochs.From(Min('S', 400)), nightFinished: true)?.Reason);
        Assert.Null(AcuteSleepLoss.Assess(Epochs.From(Min('S', 430)), nightFinished: true));
        Assert.Equal("debt", AcuteSleepLoss.Assess(Epochs.From(Min('S', 430)), nightFinished: true, debtHoursBeforeTonight: 6)?.Reason);
    }

    [Fact]
    public void Facility_incident_names_the_beds_that_woke_together_once()
    {
        var t = Epochs.LightsOff.AddHours(3);
        var onsets = new (string, DateTimeOffset)[]
        {
            ("bed-07", t.AddSeconds(20)), ("bed-02", t), ("bed-05", t.AddSeconds(70)), ("bed-02", t.AddSeconds(90)),
            ("bed-09", t.AddSeconds(150)),                        // within 2 min of the previous: same cascade
            ("bed-01", t.AddHours(1)), ("bed-03", t.AddHours(1).AddMinutes(5)), // isolated arousals
        };

        var incident = Assert.Single(FacilityIncidentDetector.Detect(onsets, monitoredBeds: 10));

        Assert.Equal(["bed-02", "bed-05", "bed-07", "bed-09"], incident.Beds);
        Assert.Equal(t, incident.Start);
        Assert.Equal(t.AddSeconds(150), incident.End);
    }

    [Fact]
    public void Facility_incident_share_rule_scales_with_the_facility()
    {
        var t = Epochs.LightsOff;
        var three = new (string, DateTimeOffset)[] { ("a", t), ("b", t.AddSeconds(10)), ("c", t.AddSeconds(20)) };

        Assert.Single(FacilityIncidentDetector.Detect(three, monitoredBeds: 8));
        Assert.Empty(FacilityIncidentDetector.Detect(three, monitoredBeds: 20));   // 30 % of 20 = 6 beds needed
        Assert.Empty(FacilityIncidentDetector.Detect(three.Take(2), monitoredBeds: 4));
    }
}

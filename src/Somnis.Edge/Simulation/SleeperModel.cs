namespace Somnis.Edge.Simulation;

/// <summary>Facility-wide simulation settings that are not per bed.</summary>
/// <param name="NightLength">Time in bed per night (lights-off to getting up).</param>
/// <param name="DayLength">Time out of bed between two nights.</param>
/// <param name="IncidentAt">Simulated time since start of a Dream Exchange fault that wakes a group of beds at once; null for none.</param>
/// <param name="IncidentDuration">How long the fault keeps the group aroused.</param>
public sealed record SimulationTimeline(
    TimeSpan NightLength,
    TimeSpan DayLength,
    TimeSpan? IncidentAt = null,
    TimeSpan? IncidentDuration = null)
{
    public static SimulationTimeline Default { get; } = new(TimeSpan.FromHours(8.5), TimeSpan.FromHours(1));
}

/// <summary>
/// A seeded latent model of one sleeper, stepped one simulated second at a time: sleep cycles of N1/N2/N3/REM with
/// stage-dependent heart rate, respiration, movement and temperature, spontaneous arousals, and the scenario's
/// Architect behaviour. The same seed gives the same night, so tests and demos are reproducible.
/// </summary>
internal sealed class SleeperModel
{
    // Offsets from the sleeper's N2 heart rate (bpm) per stage: waking is 10–20 % above sleeping (domain.md §3).
    private static double HeartRateOffset(SleepStage s) => s switch
    {
        SleepStage.Wake => 11,
        SleepStage.N1 => 5,
        SleepStage.N2 => 0,
        SleepStage.N3 => -3,
        SleepStage.Rem => 4,
        _ => 11,
    };

    private static double RespirationTarget(SleepStage s) => s switch
    {
        SleepStage.Wake => 16,
        SleepStage.N1 => 15,
        SleepStage.N2 => 14,
        SleepStage.N3 => 13,
        SleepStage.Rem => 15.5,
        _ => 16,
    };

    private readonly Random _rng;
    private readonly Scenario _scenario;
    private readonly SimulationTimeline _timeline;
    private readonly bool _inIncidentGroup;
    private readonly double _intensity;
    private readonly double _baseHeartRate;
    private readonly double _roomOffset;
    private readonly List<(int Start, int End, SleepStage Stage)> _plan = [];
    private readonly List<(int Start, int End)> _stimulation = [];
    private readonly List<(int Start, int End)> _faults = [];
    private int _planIndex;
    private int _stimIndex;
    private int _faultIndex;
    private int _second;
    private int _planEnd;
    private int _arousalLeft;
    private int _deprivationStageLeft;
    private SleepStage _deprivationStage = SleepStage.Wake;
    private double _hr;
    private double _rr;
    private double _skin;
    private volatile bool _interlock;

    /// <param name="architectIntensity">How hard the Architect works in the deprivation scenario, (0, 1]: each
    /// stimulation bout lasts 25 min × this (1, the default: 25 minutes on, 10 off, all night). Other scenarios ignore it.</param>
    /// <param name="baseHeartRate">The sleeper's N2 heart rate, bpm, when the same person sleeps several modelled nights
    /// (the demo's history); null: drawn from the seed (52–64 bpm).</param>
    public SleeperModel(Scenario scenario, int seed, SimulationTimeline? timeline = null, bool inIncidentGroup = false,
        double architectIntensity = 1, double? baseHeartRate = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(architectIntensity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(architectIntensity, 1);
        _scenario = scenario;
        _timeline = timeline ?? SimulationTimeline.Default;
        _inIncidentGroup = inIncidentGroup;
        _intensity = architectIntensity;
        _rng = new Random(seed);
        // Drawn even when given, so a seed plans the same night either way.
        var drawn = 52 + (_rng.NextDouble() * 12);
        _baseHeartRate = baseHeartRate ?? drawn;
        _roomOffset = (_rng.NextDouble() - 0.5) * 2;
        _hr = _baseHeartRate + HeartRateOffset(SleepStage.Wake);
        _rr = RespirationTarget(SleepStage.Wake);
        _skin = 33.0;
        PlanNight(0);
        Current = Compute();
    }

    public Scenario Scenario => _scenario;

    /// <summary>The sleeper's heart rate in stable N2 sleep, bpm (the model's baseline).</summary>
    public double BaseHeartRate => _baseHeartRate;

    /// <summary>The state at <see cref="Physiology.Elapsed"/>.</summary>
    public Physiology Current { get; private set; }

    /// <summary>The interlock relay: while engaged the Architect's stimulation is cut (its schedule runs on unseen).</summary>
    public void SetInterlock(bool engaged) => _interlock = engaged;

    /// <summary>Advances the model by one simulated second.</summary>
    public Physiology Step()
    {
        _second++;
        if (_second >= _planEnd)
        {
            PlanNight(_second);
        }

        Current = Compute();
        return Current;
    }

    private Physiology Compute()
    {
        var t = _second;
        while (_planIndex < _plan.Count - 1 && t >= _plan[_planIndex].End)
        {
            _planIndex++;
        }

        var stage = _plan[_planIndex].Stage;
        var stimulating = InWindow(_stimulation, ref _stimIndex, t) && !_interlock;
        var fault = InWindow(_faults, ref _faultIndex, t);
        var inBed = stage != SleepStage.OutOfBed;

        // The Architect's effect depends on the scenario: in deprivation it keeps pulling the sleeper out of sleep
        // (wake or N1 in 1–4 minute chunks, never N3); in the healthy scenario it runs briefly in REM without effect.
        if (stimulating && inBed && _scenario == Scenario.ArchitectDeprivation)
        {
            if (_deprivationStageLeft <= 0)
            {
                _deprivationStage = _rng.NextDouble() < 0.7 ? SleepStage.Wake : SleepStage.N1;
                _deprivationStageLeft = 60 + _rng.Next(180);
                if (_deprivationStage == SleepStage.Wake)
                {
                    // Each pull out of sleep starts with an arousal: a jolt of heart rate and movement.
                    _arousalLeft = 10 + _rng.Next(20);
                }
            }

            _deprivationStageLeft--;
            stage = _deprivationStage;
        }

        var incident = _inIncidentGroup && inBed && _timeline.IncidentAt is { } at
            && t >= at.TotalSeconds && t < at.TotalSeconds + (_timeline.IncidentDuration ?? TimeSpan.FromMinutes(4)).TotalSeconds;
        if (incident)
        {
            stage = SleepStage.Wake;
            _arousalLeft = Math.Max(_arousalLeft, 2);
        }

        // Spontaneous arousals: a few per hour in sleep, many under deprivation stimulation.
        if (_arousalLeft > 0)
        {
            _arousalLeft--;
        }
        else if (inBed && stage != SleepStage.Wake)
        {
            var perHour = stimulating && _scenario == Scenario.ArchitectDeprivation ? 30.0 : 3.0;
            if (_rng.NextDouble() < perHour / 3600.0)
            {
                _arousalLeft = 5 + _rng.Next(20);
            }
        }

        var arousal = _arousalLeft > 0 || incident;
        var hrTarget = _baseHeartRate + HeartRateOffset(stage)
            + (arousal ? 18 : 0)
            + (incident ? 10 : 0)
            + (stimulating && _scenario == Scenario.ArchitectDeprivation ? 6 : 0);
        _hr += ((hrTarget - _hr) / 12.0) + (Gaussian() * (stage == SleepStage.Rem ? 0.9 : 0.4));
        _rr += ((RespirationTarget(stage) + (arousal ? 3 : 0) - _rr) / 30.0) + (Gaussian() * (stage == SleepStage.Rem ? 0.25 : 0.08));
        _rr = Math.Clamp(_rr, 6, 40);
        _hr = Math.Clamp(_hr, 35, 180);

        double movement = 0;
        if (inBed)
        {
            // Movement per second, calibrated on the Walch 2019 wrist counts: still sleep is ~97 % zero-count epochs
            // (mean ~1.5 counts per 30 s), quiet wake in bed ~30 counts per 30 s, an arousal a burst of ~50–100.
            var (p, min, max) = stage switch
            {
                _ when arousal => (0.25, 0.3, 0.9),
                SleepStage.Wake => (0.05, 0.2, 0.9),
                SleepStage.N1 => (0.004, 0.1, 0.4),
                SleepStage.Rem => (0.0005, 0.05, 0.15),
                _ => (0.001, 0.05, 0.25),
            };
            if (_rng.NextDouble() < p)
            {
                movement = min + (_rng.NextDouble() * (max - min));
            }
        }

        var room = 21.0 + _roomOffset + (0.6 * Math.Sin(2 * Math.PI * t / 86400.0));
        var skinTarget = !inBed ? room + 1.0 : stage == SleepStage.Wake ? 33.3 : 34.8;
        _skin += (skinTarget - _skin) / 1500.0;

        return new Physiology(TimeSpan.FromSeconds(t), stage, _hr, _rr, movement, _skin, room, stimulating && inBed, arousal, fault);
    }

    private static bool InWindow(List<(int Start, int End)> windows, ref int index, int t)
    {
        while (index < windows.Count && t >= windows[index].End)
        {
            index++;
        }

        return index < windows.Count && t >= windows[index].Start;
    }

    /// <summary>Plans one night from <paramref name="start"/>: falling asleep, 90-minute cycles, final awakening, then a day out of bed.</summary>
    private void PlanNight(int start)
    {
        _plan.Clear();
        _stimulation.Clear();
        _faults.Clear();
        _planIndex = _stimIndex = _faultIndex = 0;
        var nightEnd = start + (int)_timeline.NightLength.TotalSeconds;
        var t = start;

        void Add(SleepStage stage, double minutes)
        {
            var end = Math.Min(t + Math.Max(1, (int)(minutes * 60)), nightEnd);
            if (end > t)
            {
                _plan.Add((t, end, stage));
                t = end;
            }
        }

        double Between(double a, double b) => a + (_rng.NextDouble() * (b - a));

        Add(SleepStage.Wake, Between(6, 18));
        Add(SleepStage.N1, Between(2, 5));
        for (var cycle = 0; t < nightEnd - (10 * 60); cycle++)
        {
            var cycleStart = t;
            Add(SleepStage.N2, Between(15, 25));
            var deep = cycle switch { 0 => Between(25, 40), 1 => Between(15, 25), 2 => Between(5, 12), _ => 0 };
            if (deep > 0)
            {
                Add(SleepStage.N3, deep);
            }

            Add(SleepStage.N2, Between(5, 12));
            var remStart = t;
            Add(SleepStage.Rem, cycle == 0 ? Between(8, 12) : Between(18, 32));
            if (_scenario == Scenario.Healthy && _rng.NextDouble() < 0.6)
            {
                // Healthy: the Architect shapes a REM dream for a few minutes and the sleeper sleeps on (natural: no Architect).
                _stimulation.Add((remStart, Math.Min(remStart + (5 * 60), t)));
            }

            var rest = (90 * 60) - (t - cycleStart);
            if (rest > 60)
            {
                Add(SleepStage.N2, rest / 60.0);
            }

            if (_rng.NextDouble() < 0.35)
            {
                Add(SleepStage.Wake, Between(1, 3));
                Add(SleepStage.N1, Between(1, 3));
            }
        }

        Add(SleepStage.Wake, (nightEnd - t) / 60.0);
        var dayEnd = nightEnd + (int)_timeline.DayLength.TotalSeconds;
        _plan.Add((nightEnd, dayEnd, SleepStage.OutOfBed));
        _planEnd = dayEnd;

        if (_scenario == Scenario.ArchitectDeprivation)
        {
            // Long stimulation bouts from 40 minutes after lights-off: 25 minutes on (at full intensity), 10 off, all night.
            var bout = (int)Math.Round(25 * 60 * _intensity);
            for (var s = start + (40 * 60); s < nightEnd; s += 35 * 60)
            {
                _stimulation.Add((s, Math.Min(s + bout, nightEnd)));
            }
        }

        if (_scenario == Scenario.SensorFault)
        {
            // The bed sensor drops out twice a night, for 40–70 and 20–40 minutes.
            var a = start + (int)(Between(60, 100) * 60);
            _faults.Add((a, a + (int)(Between(40, 70) * 60)));
            var b = start + (int)(Between(280, 330) * 60);
            _faults.Add((b, b + (int)(Between(20, 40) * 60)));
        }
    }

    private double Gaussian()
    {
        // Box-Muller; the model needs only mild noise, so one value per call is fine.
        var u1 = 1.0 - _rng.NextDouble();
        var u2 = _rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

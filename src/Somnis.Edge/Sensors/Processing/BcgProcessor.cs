namespace Somnis.Edge.Sensors.Processing;

/// <summary>What one second of the piezo film signal showed.</summary>
/// <param name="FlatLine">The signal has no variation at all (film disconnected, amplifier dead).</param>
/// <param name="Stale">Every sample carried the identical code (a hung ADC repeating its register).</param>
/// <param name="OutOfRange">A sample lies outside what the amplifier can output (saturated or impossible).</param>
/// <param name="Present">Somebody lies on the bed.</param>
/// <param name="Movement">Body movement corrupts the cardiac band in this second.</param>
/// <param name="Missing">No samples: the ADC could not be read.</param>
internal readonly record struct BcgSecond(bool FlatLine, bool Stale, bool OutOfRange, bool Present, bool Movement, bool Missing = false)
{
    public bool Broken => FlatLine || Stale || OutOfRange || Missing;
}

/// <summary>The BCG results of one reporting interval. Null rates mean "not measurable", never a guess.</summary>
/// <param name="HeartRate">Beats per minute from J-J intervals of valid seconds.</param>
/// <param name="RespirationRate">Breaths per minute over the last <see cref="BcgProcessor.RespirationWindowSeconds"/> s.</param>
/// <param name="Present">Somebody lay on the bed for most of the interval; null when no second was usable.</param>
/// <param name="ValidSeconds">Seconds usable for heart rate (present, no movement nearby, signal healthy).</param>
/// <param name="MovementSeconds">Seconds with body movement.</param>
/// <param name="Seconds">Seconds in the interval.</param>
internal sealed record BcgInterval(double? HeartRate, double? RespirationRate, bool? Present, int ValidSeconds, int MovementSeconds, int Seconds)
{
    public double Quality => Seconds == 0 ? 0 : (double)ValidSeconds / Seconds;
}

/// <summary>
/// Ballistocardiography from an under-mattress piezo film (docs/edge-sensing.md): cardiac band 3–11 Hz → energy
/// envelope → J-peak detection with an adaptive threshold and a refractory period → heart rate from the median-
/// filtered J-J intervals; respiration from the 0.05–0.8 Hz band by zero crossings; presence from the signal's
/// standard deviation; movement when the cardiac band's standard deviation jumps above its still baseline.
/// Seconds with movement (and their neighbours, where the filters ring) are invalid for heart rate.
/// </summary>
internal sealed class BcgProcessor
{
    /// <summary>Per-second standard deviation below which the signal is a flat line, volts (4 ADS1115 LSB).</summary>
    public const double FlatLineVolts = 0.0005;

    /// <summary>Per-second standard deviation above which somebody lies on the bed, volts (an empty bed shows ~2 mV).</summary>
    public const double PresenceVolts = 0.006;

    /// <summary>Cardiac-band level, relative to the still baseline, from which a second counts as movement.</summary>
    public const double MovementRatio = 1.8;

    /// <summary>Length of the respiration analysis window, seconds.</summary>
    public const int RespirationWindowSeconds = 32;

    /// <summary>The amplifier's output range (3.3 V supply); samples outside it are physically impossible.</summary>
    public const double MinVolts = -0.05;

    public const double MaxVolts = 3.35;

    private const int RespirationRate = 4;
    private const double MinBeatInterval = 0.33;
    private const double MaxBeatInterval = 1.6;

    private readonly double _fs;
    private readonly int _refractory;
    private readonly int _envelopeLength;
    private readonly int _decimation;
    private readonly FilterChain _cardiac;
    private readonly FilterChain _respiration;
    private readonly double[] _envelopeRing;
    private readonly Queue<double> _recentMaxima = new();
    private readonly Queue<double> _cardiacLevels = new();
    private readonly List<(double Time, double Energy)> _beats = [];
    private readonly Queue<double> _breathing = new();
    private readonly Queue<bool> _breathingMovement = new();
    private readonly List<BcgSecond> _intervalSeconds = [];
    private readonly List<double> _intervalBeats = [];
    private long _n;
    private double _envelopeSum;
    private double _e1;
    private double _e2;
    private double _secondMax;
    private bool _primed;
    private double _respirationAccumulator;
    private int _respirationCount;
    private bool _previousMovement;
    private long _second;

    public BcgProcessor(double sampleRate)
    {
        _fs = sampleRate;
        _refractory = (int)(MinBeatInterval * sampleRate);
        _envelopeLength = Math.Max(1, (int)Math.Round(0.08 * sampleRate));
        _envelopeRing = new double[_envelopeLength];
        _decimation = Math.Max(1, (int)Math.Round(sampleRate / RespirationRate));
        _cardiac = new FilterChain(
            Biquad.HighPass(sampleRate, 3), Biquad.HighPass(sampleRate, 3), Biquad.LowPass(sampleRate, 11), Biquad.LowPass(sampleRate, 11));
        _respiration = new FilterChain(
            Biquad.HighPass(sampleRate, 0.05), Biquad.LowPass(sampleRate, 0.8), Biquad.LowPass(sampleRate, 0.8));
    }

    /// <summary>Beat times (seconds since start) found so far in the current interval, for tests.</summary>
    public IReadOnlyList<double> IntervalBeats => _intervalBeats;

    /// <summary>Processes one second of samples (volts).</summary>
    public BcgSecond AddSecond(ReadOnlySpan<double> volts)
    {
        double mean = 0, min = double.MaxValue, max = double.MinValue;
        var identical = true;
        foreach (var v in volts)
        {
            mean += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            identical &= v == volts[0];
        }

        mean /= volts.Length;
        double variance = 0;
        foreach (var v in volts)
        {
            variance += (v - mean) * (v - mean);
        }

        var std = Math.Sqrt(variance / volts.Length);
        var outOfRange = min < MinVolts || max > MaxVolts;
        var stale = identical && volts.Length > 1;
        var flat = !stale && std < FlatLineVolts;
        if (outOfRange || stale || flat)
        {
            // A broken signal says nothing about the sleeper; restart the filters when it comes back.
            Reset();
            _n += volts.Length;
            var broken = new BcgSecond(flat, stale, outOfRange, false, false);
            _intervalSeconds.Add(broken);
            _second++;
            return broken;
        }

        if (!_primed)
        {
            _cardiac.Prime(volts[0]);
            _respiration.Prime(volts[0]);
            _primed = true;
        }

        double cardiacSquares = 0;
        _secondMax = 0;
        foreach (var v in volts)
        {
            var c = _cardiac.Process(v);
            cardiacSquares += c * c;
            DetectBeat(c);
            _respirationAccumulator += _respiration.Process(v);
            if (++_respirationCount == _decimation)
            {
                Push(_breathing, _respirationAccumulator / _decimation, RespirationWindowSeconds * RespirationRate);
                _respirationAccumulator = 0;
                _respirationCount = 0;
            }
        }

        Push(_recentMaxima, _secondMax, 3);
        var cardiacStd = Math.Sqrt(cardiacSquares / volts.Length);
        var present = std > PresenceVolts;
        var baseline = Baseline();
        var movement = present && baseline > 0 && cardiacStd > MovementRatio * baseline;
        if (present && !movement)
        {
            Push(_cardiacLevels, cardiacStd, 120);
        }
        else if (present && _cardiacLevels.Count < 10)
        {
            // Not enough still seconds yet to know the baseline: learn from everything present.
            Push(_cardiacLevels, cardiacStd, 120);
        }

        Push(_breathingMovement, movement || !present, RespirationWindowSeconds);
        var second = new BcgSecond(false, false, false, present, movement);
        _intervalSeconds.Add(second);
        _second++;
        return second;
    }

    /// <summary>Records a second in which the ADC could not be read.</summary>
    public void AddMissingSecond(int samples)
    {
        Reset();
        _n += samples;
        _intervalSeconds.Add(new BcgSecond(false, false, false, false, false, Missing: true));
        _second++;
    }

    /// <summary>Closes the current interval: heart rate, respiration, presence and quality over its seconds.</summary>
    public BcgInterval EndInterval()
    {
        var seconds = _intervalSeconds.ToArray();
        var firstSecond = _second - seconds.Length;
        _intervalSeconds.Clear();
        _intervalBeats.Clear();

        // Valid for heart rate: present, no movement in it or next to it (the band-pass rings for ~1 s).
        var valid = new bool[seconds.Length];
        var validCount = 0;
        for (var i = 0; i < seconds.Length; i++)
        {
            var s = seconds[i];
            var before = i > 0 ? seconds[i - 1].Movement : _previousMovement;
            var after = i < seconds.Length - 1 && seconds[i + 1].Movement;
            valid[i] = s.Present && !s.Movement && !before && !after && !s.Broken;
            validCount += valid[i] ? 1 : 0;
        }

        if (seconds.Length > 0)
        {
            _previousMovement = seconds[^1].Movement;
        }

        var usable = seconds.Count(s => !s.Broken);
        var presentSeconds = seconds.Count(s => s.Present);
        bool? present = usable == 0 ? null : presentSeconds * 2 > usable;
        var movementSeconds = seconds.Count(s => s.Movement);

        double? heartRate = null;
        if (present == true && validCount >= Math.Max(3, seconds.Length / 2))
        {
            heartRate = HeartRate(firstSecond, valid);
        }

        double? respiration = present == true ? Respiration() : null;
        TrimBeats(firstSecond + seconds.Length - 3);
        return new BcgInterval(heartRate, respiration, present, heartRate is null ? 0 : validCount, movementSeconds, seconds.Length);
    }

    /// <summary>Forgets the filter state (after a fault), keeping the learned baselines.</summary>
    public void Reset()
    {
        _primed = false;
        _beats.Clear();
        _breathing.Clear();
        _breathingMovement.Clear();
        _recentMaxima.Clear();
        _respirationAccumulator = 0;
        _respirationCount = 0;
        _e1 = _e2 = _envelopeSum = 0;
        Array.Clear(_envelopeRing);
    }

    private double? HeartRate(long firstSecond, bool[] valid)
    {
        bool IsValid(double t)
        {
            var index = (long)Math.Floor(t) - firstSecond;
            return index >= 0 && index < valid.Length && valid[index];
        }

        var intervals = new List<double>();
        for (var i = 1; i < _beats.Count; i++)
        {
            var (t0, _) = _beats[i - 1];
            var (t1, _) = _beats[i];
            var d = t1 - t0;
            if (IsValid(t1) && (IsValid(t0) || (t0 < firstSecond && t1 - firstSecond < MaxBeatInterval)) && d is >= MinBeatInterval and <= MaxBeatInterval)
            {
                intervals.Add(d);
                _intervalBeats.Add(t1);
            }
        }

        if (intervals.Count < 3)
        {
            return null;
        }

        var sorted = intervals.Order().ToArray();
        var median = sorted[sorted.Length / 2];
        var kept = intervals.Where(d => Math.Abs(d - median) <= 0.2 * median).ToArray();
        if (kept.Length < 3 || kept.Length < 0.6 * intervals.Count)
        {
            return null;
        }

        return Math.Round(60.0 / kept.Average(), 1);
    }

    private double? Respiration()
    {
        var window = RespirationWindowSeconds * RespirationRate;
        if (_breathing.Count < window || _breathingMovement.Count(m => m) > 3)
        {
            return null;
        }

        var x = _breathing.ToArray();
        var mean = x.Average();
        var std = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / x.Length);
        var hysteresis = 0.3 * std;
        var crossings = new List<double>();
        var armed = false;
        for (var i = 1; i < x.Length; i++)
        {
            var a = x[i - 1] - mean;
            var b = x[i] - mean;
            if (b < -hysteresis)
            {
                armed = true;
            }

            if (armed && a < 0 && b >= 0)
            {
                crossings.Add((i - 1 + (a / (a - b))) / RespirationRate);
                armed = false;
            }
        }

        if (crossings.Count < 3)
        {
            return null;
        }

        var periods = new double[crossings.Count - 1];
        for (var i = 1; i < crossings.Count; i++)
        {
            periods[i - 1] = crossings[i] - crossings[i - 1];
        }

        // Breaths per minute from the mean period; irregular breathing (periods far apart) is not reported.
        var meanPeriod = periods.Average();
        if (periods.Any(p => p < 0.4 * meanPeriod || p > 2.0 * meanPeriod))
        {
            return null;
        }

        var rate = 60.0 / meanPeriod;
        return rate is >= 4 and <= 45 ? Math.Round(rate, 1) : null;
    }

    private void DetectBeat(double c)
    {
        // Energy envelope: moving average of the squared cardiac band over 80 ms.
        var e = c * c;
        var slot = (int)(_n % _envelopeLength);
        _envelopeSum += e - _envelopeRing[slot];
        _envelopeRing[slot] = e;
        var envelope = Math.Max(0, _envelopeSum / _envelopeLength);
        _secondMax = Math.Max(_secondMax, envelope);

        var threshold = 0.25 * Math.Max(_secondMax, _recentMaxima.Count == 0 ? 0 : _recentMaxima.Max());
        if (_e1 > _e2 && _e1 >= envelope && _e1 > threshold && threshold > 0)
        {
            // Peak at sample n-1, refined by parabolic interpolation; the envelope lags the J peak by half its window.
            var denominator = _e2 - (2 * _e1) + envelope;
            var offset = denominator == 0 ? 0 : 0.5 * (_e2 - envelope) / denominator;
            var time = (_n - 1 + offset) / _fs;
            if (_beats.Count > 0 && (time - _beats[^1].Time) * _fs < _refractory)
            {
                if (_e1 > _beats[^1].Energy)
                {
                    _beats[^1] = (time, _e1);
                }
            }
            else
            {
                _beats.Add((time, _e1));
            }
        }

        _e2 = _e1;
        _e1 = envelope;
        _n++;
    }

    private void TrimBeats(double keepFrom)
    {
        var drop = 0;
        while (drop < _beats.Count - 1 && _beats[drop].Time < keepFrom)
        {
            drop++;
        }

        _beats.RemoveRange(0, drop);
    }

    private double Baseline()
    {
        if (_cardiacLevels.Count < 5)
        {
            return 0;
        }

        var sorted = _cardiacLevels.Order().ToArray();
        return sorted[(int)(sorted.Length * 0.3)];
    }

    private static void Push<T>(Queue<T> queue, T value, int capacity)
    {
        queue.Enqueue(value);
        while (queue.Count > capacity)
        {
            queue.Dequeue();
        }
    }
}

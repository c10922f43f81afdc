using Somnis.Contracts;

namespace Somnis.Hub.Detection;

/// <summary>
/// Scores one bed's night into 30-s sleep/wake epochs, incrementally, in event time. The live path feeds vitals as
/// they arrive; the offline path (<see cref="AnalyzeCommand"/>, validation) feeds a whole recording through the
/// very same calls, so both produce identical epochs.
/// </summary>
/// <remarks>
/// <para>Samples are placed in the epoch holding the middle of the interval they cover. An epoch closes once a
/// sample ends <see cref="Grace"/> after the epoch's end (messages cover up to 60 s, so a late-arriving long interval
/// still lands in place); samples for an already closed epoch are counted in <see cref="LateSamples"/> and dropped.</para>
/// <para>An epoch is finalized once <see cref="LookaheadEpochs"/> more epochs have closed, because its features use a
/// centred window. The live lag is therefore 10 min lookahead + 1 min grace + up to one epoch (≈ 11.5 min);
/// <see cref="Provisional"/> scores the newest closed epoch from what is known, before its final score.</para>
/// <para>The sleeper's baseline (heart-rate percentiles, usual movement) is learned from the closed epochs only,
/// so a final score never depends on data later than its lookahead. A <see cref="SleeperPrior"/> from the sleeper's
/// earlier nights, when given, stands in for tonight's heart-rate percentiles until tonight has data of its own.
/// One instance per bed per night.</para>
/// <para>An in-bed epoch with no motion sample in it or its neighbours is <see cref="EpochState.NoSignal"/>: the
/// model cannot tell sleep from quiet wake without movement, and scoring "no counts" as stillness called a dead
/// sensor's hours sleep (docs/detection.md, subject 7749105).</para>
/// </remarks>
internal sealed class EpochScorer
{
    /// <summary>Epoch length in seconds (PSG convention).</summary>
    public const double EpochSeconds = 30;

    /// <summary>Epochs after an epoch that its features look at (20 = 10 min); the finalization lag.</summary>
    public const int LookaheadEpochs = 20;

    /// <summary>How long after an epoch's end samples may still arrive for it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    private const int OakleyHalfWidth = 4;
    private const int MidHalfWidth = 20;
    private const int LongPastEpochs = 40;
    private const int HrLocalHalfWidth = 2;
    private const int HrVarHalfWidth = 5;
    private const double HrVarMissing = 0.7;

    // Weight, in epochs, of a prior baseline from earlier nights against tonight's own heart-rate percentiles.
    private const double PriorWeightEpochs = 120;

    private readonly DateTimeOffset _origin;
    private readonly double _lightsOffSeconds;
    private readonly SleepModel _model;
    private readonly SleeperPrior? _prior;
    private readonly AccumulatorWindow _epochs = new();
    private readonly List<ScoredEpoch> _finalized = [];
    private readonly bool _retainFinalized;
    private int _finalizedBase;
    private readonly Histogram _hr = new(20, 250, 0.5);
    private readonly Histogram _activity = new(0, 2000, 1);
    private int _closedThrough = -1;
    private int _taken;
    private bool _completed;

    /// <param name="origin">Start of epoch 0 (recording start or lights-off); the epoch grid is aligned to it.</param>
    /// <param name="lightsOff">Lights-off, as an offset from <paramref name="origin"/>; the clock prior counts from here.</param>
    /// <param name="model">Sleep model; <see cref="SleepModel.Default"/> when null.</param>
    /// <param name="retainFinalized">Keep every finalized epoch in <see cref="Finalized"/> (offline analysis). The live
    /// path takes them with <see cref="TakeFinalized"/> and keeps them itself, compactly: a second full copy of the night
    /// per bed was most of the hub's growth over a night.</param>
    /// <param name="prior">The sleeper's baseline from earlier nights (resting heart rate and its spread), when known;
    /// null: tonight's data only.</param>
    public EpochScorer(DateTimeOffset origin, TimeSpan lightsOff = default, SleepModel? model = null, bool retainFinalized = true,
        SleeperPrior? prior = null)
    {
        _prior = prior;
        _retainFinalized = retainFinalized;
        _origin = origin;
        _lightsOffSeconds = lightsOff.TotalSeconds;
        _model = model ?? SleepModel.Default;
    }

    /// <summary>Samples that arrived after their epoch had closed, and were dropped.</summary>
    public int LateSamples { get; private set; }

    /// <summary>All finalized epochs so far, in order.</summary>
    public IReadOnlyList<ScoredEpoch> Finalized => _retainFinalized
        ? _finalized
        : throw new InvalidOperationException("This scorer does not retain its epochs; use TakeFinalized.");

    /// <summary>Number of epochs finalized so far.</summary>
    public int FinalizedCount => _finalizedBase + _finalized.Count;

    /// <summary>What has been learned about the sleeper from the closed epochs.</summary>
    public SleeperBaseline Baseline => new(
        _hr.Count == 0 ? null : _hr.Quantile(0.10),
        _hr.Count == 0 ? null : _hr.Quantile(0.50),
        _activity.Count == 0 ? 0 : _activity.Quantile(0.50));

    /// <summary>A quantile of the closed epochs' mean heart rate so far (the histogram <see cref="Baseline"/> reads); null before any.</summary>
    public double? HeartRateQuantile(double q) => _hr.Count == 0 ? null : _hr.Quantile(q);

    /// <summary>Adds one vitals message (live path).</summary>
    public void Add(VitalsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Add(message.Ts, message.IntervalSeconds, message.ActivityCount, message.HeartRate, message.BedPresence,
            message.ArchitectStimulating);
    }

    /// <summary>Adds one sample covering <paramref name="intervalSeconds"/> up to <paramref name="end"/>.</summary>
    /// <param name="end">End of the interval the sample covers, event time.</param>
    /// <param name="intervalSeconds">Length of the interval; 0 for an instantaneous reading (e.g. one HR value).</param>
    /// <param name="activityCount">Counts accumulated over the interval (Actiwatch-compatible); null when unknown.</param>
    /// <param name="heartRate">Heart rate, bpm; null when unknown.</param>
    /// <param name="presence">Somebody is in the bed; null when unknown.</param>
    /// <param name="stimulating">The Architect was stimulating during the interval.</param>
    public void Add(DateTimeOffset end, double intervalSeconds, double? activityCount, double? heartRate, bool? presence,
        bool stimulating) =>
        Add((end - _origin).TotalSeconds, intervalSeconds, activityCount, heartRate, presence, stimulating);

    /// <summary>As the other overload, with <paramref name="endSeconds"/> counted from the origin (offline path).</summary>
    public void Add(double endSeconds, double intervalSeconds, double? activityCount, double? heartRate, bool? presence,
        bool stimulating)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The night is complete; start a new scorer.");
        }

        var middle = endSeconds - Math.Max(0, intervalSeconds) / 2;
        if (middle < 0)
        {
            // Before the origin: not part of this night.
            return;
        }

        var index = (int)Math.Floor(middle / EpochSeconds);
        if (index <= _closedThrough)
        {
            LateSamples++;
        }
        else
        {
            EnsureEpoch(index);
            ref var epoch = ref _epochs[index];
            if (activityCount is { } a && double.IsFinite(a))
            {
                epoch.ActivitySum += Math.Max(0, a);
                epoch.HasActivity = true;
            }

            if (heartRate is { } hr && double.IsFinite(hr) && hr > 0)
            {
                epoch.HrSum += hr;
                epoch.HrCount++;
            }

            if (presence is true)
            {
                epoch.PresentVotes++;
            }
            else if (presence is false)
            {
                epoch.AbsentVotes++;
            }

            epoch.Stimulating |= stimulating;
        }

        var closable = (int)Math.Floor((endSeconds - Grace.TotalSeconds) / EpochSeconds) - 1;
        CloseThrough(Math.Min(closable, _epochs.Count - 1));
    }

    /// <summary>End of the recording: closes and finalizes every remaining epoch (windows are truncated at the end).</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        CloseThrough(_epochs.Count - 1);
        var last = _epochs.Count - 1;
        while (FinalizedCount <= last)
        {
            _finalized.Add(Score(FinalizedCount, last));
        }

        _completed = true;
    }

    /// <summary>Makes sure epochs exist from the origin to the one containing <paramref name="seconds"/> (e.g. to
    /// cover the requested night length even when the sensor stopped early). Call before <see cref="Complete"/>.</summary>
    public void ExtendTo(double seconds)
    {
        if (seconds > 0)
        {
            EnsureEpoch((int)Math.Ceiling(seconds / EpochSeconds) - 1);
        }
    }

    /// <summary>Finalized epochs not returned by a previous call (the live path drains these).</summary>
    public IReadOnlyList<ScoredEpoch> TakeFinalized()
    {
        if (_taken == FinalizedCount)
        {
            // Two messages in three close no epoch: no list for them.
            return [];
        }

        var fresh = _finalized.GetRange(_taken - _finalizedBase, FinalizedCount - _taken);
        _taken = FinalizedCount;
        if (!_retainFinalized)
        {
            _finalizedBase += _finalized.Count;
            _finalized.Clear();
        }

        return fresh;
    }

    /// <summary>The newest closed but not yet finalized epoch, scored from what is known now (truncated window);
    /// null when every closed epoch is final. Its final score may differ.</summary>
    public ScoredEpoch? Provisional() =>
        _closedThrough >= FinalizedCount ? Score(_closedThrough, _closedThrough) : null;

    private void EnsureEpoch(int index)
    {
        while (_epochs.Count <= index)
        {
            _epochs.Add();
        }
    }

    private void CloseThrough(int index)
    {
        while (_closedThrough < index)
        {
            _closedThrough++;
            ref readonly var closed = ref _epochs[_closedThrough];
            if (closed.HrCount > 0)
            {
                _hr.Add(closed.HrSum / closed.HrCount);
            }

            if (closed.HasActivity)
            {
                _activity.Add(closed.ActivitySum);
            }

            var ready = _closedThrough - LookaheadEpochs;
            if (ready >= 0 && ready == FinalizedCount)
            {
                _finalized.Add(Score(ready, _closedThrough));
                // Scoring reaches at most LongPastEpochs behind the epoch it scores: older sums are never read again.
                _epochs.ForgetBefore(FinalizedCount - LongPastEpochs);
            }
        }
    }

    /// <summary>Scores epoch <paramref name="e"/> using epochs up to <paramref name="last"/> only.</summary>
    private ScoredEpoch Score(int e, int last)
    {
        ref readonly var epoch = ref _epochs[e];
        var features = Features(e, last);
        double? activity = epoch.HasActivity ? epoch.ActivitySum : null;
        bool? presence = epoch.PresentVotes + epoch.AbsentVotes == 0 ? null : epoch.PresentVotes >= epoch.AbsentVotes;
        EpochState state;
        double p;
        if (presence is false)
        {
            state = EpochState.OutOfBed;
            p = 0;
        }
        else if (!HasMotionNear(e, last))
        {
            state = EpochState.NoSignal;
            p = 0;
        }
        else
        {
            p = _model.PSleep(features, activity);
            state = p >= _model.Threshold ? EpochState.Sleep : EpochState.Wake;
        }

        var startSeconds = e * EpochSeconds;
        return new ScoredEpoch(e, _origin.AddSeconds(startSeconds), startSeconds, state, p, activity,
            epoch.HrCount > 0 ? epoch.HrSum / epoch.HrCount : null, presence, epoch.Stimulating, features);
    }

    // A 60-s motion interval lands in one of its two epochs (the one holding its middle): a neighbour's sample covers this one too.
    private bool HasMotionNear(int e, int last) =>
        _epochs[e].HasActivity || (e > 0 && _epochs[e - 1].HasActivity) || (e < last && _epochs[e + 1].HasActivity);

    private EpochFeatures Features(int e, int last)
    {
        var oakley = 0.0;
        for (var k = -OakleyHalfWidth; k <= OakleyHalfWidth; k++)
        {
            var weight = k == 0 ? 2.0 : Math.Abs(k) <= 2 ? 0.2 : 0.04;
            oakley += weight * Counts(e + k, last);
        }

        var mid = MeanCounts(e - MidHalfWidth, e + MidHalfWidth, last);
        var past = MeanCounts(e - LongPastEpochs, e, last);

        var hrRel = 0.0;
        var localHr = MeanHr(e - HrLocalHalfWidth, e + HrLocalHalfWidth, last);
        if (localHr is { } hr && HrPercentiles() is var (p10, p90))
        {
            hrRel = (hr - p10) / Math.Max(p90 - p10, 5);
        }

        var hrVar = HrVarMissing;
        var (n, sum, sumSq) = (0, 0.0, 0.0);
        for (var i = Math.Max(0, e - HrVarHalfWidth); i <= Math.Min(last, e + HrVarHalfWidth); i++)
        {
            if (_epochs[i].HrCount > 0)
            {
                var m = _epochs[i].HrSum / _epochs[i].HrCount;
                n++;
                sum += m;
                sumSq += m * m;
            }
        }

        if (n >= 3)
        {
            var variance = Math.Max(0, (sumSq - sum * sum / n) / (n - 1));
            hrVar = Math.Log(1 + Math.Sqrt(variance));
        }

        var clock = Math.Clamp(((e + 0.5) * EpochSeconds - _lightsOffSeconds) / 3600, 0, 1);
        return new EpochFeatures(Math.Log(1 + oakley), Math.Log(1 + mid), Math.Log(1 + past), hrRel, hrVar, clock);
    }

    /// <summary>Tonight's 10th and 90th HR percentiles so far, blended with the prior (weight <see cref="PriorWeightEpochs"/>)
    /// when there is one; null when neither is known.</summary>
    private (double P10, double P90)? HrPercentiles()
    {
        if (_prior is { RestingHeartRate: var rest, HeartRateSpread: var spread })
        {
            var w = _hr.Count / (_hr.Count + PriorWeightEpochs);
            return _hr.Count == 0
                ? (rest, rest + spread)
                : ((w * _hr.Quantile(0.1)) + ((1 - w) * rest), (w * _hr.Quantile(0.9)) + ((1 - w) * (rest + spread)));
        }

        return _hr.Count > 0 ? (_hr.Quantile(0.1), _hr.Quantile(0.9)) : null;
    }

    private double Counts(int i, int last) => i >= 0 && i <= last ? _epochs[i].ActivitySum : 0;

    private double MeanCounts(int from, int to, int last)
    {
        from = Math.Max(0, from);
        to = Math.Min(last, to);
        var sum = 0.0;
        for (var i = from; i <= to; i++)
        {
            sum += _epochs[i].ActivitySum;
        }

        return to >= from ? sum / (to - from + 1) : 0;
    }

    private double? MeanHr(int from, int to, int last)
    {
        var (sum, n) = (0.0, 0);
        for (var i = Math.Max(0, from); i <= Math.Min(last, to); i++)
        {
            sum += _epochs[i].HrSum;
            n += _epochs[i].HrCount;
        }

        return n > 0 ? sum / n : null;
    }

    /// <summary>
    /// The epochs' sums by absolute epoch index, keeping only the recent ones: a night's worth per bed was a
    /// steadily growing share of the hub's heap for data that is never read again. Values in one array, not an object
    /// per epoch: each of those lived through the young generations and then died old, which the collector pays for
    /// (docs/performance.md, "What was changed", <c>Accumulator</c>).
    /// </summary>
    private sealed class AccumulatorWindow
    {
        private Accumulator[] _items = new Accumulator[64];
        private int _count;
        private int _base;

        /// <summary>Epochs ever added (the next absolute index).</summary>
        public int Count => _base + _count;

        public ref Accumulator this[int index]
        {
            get
            {
                var i = index - _base;
                if ((uint)i >= (uint)_count)
                {
                    throw new ArgumentOutOfRangeException(nameof(index), index, "epoch forgotten or not yet added");
                }

                return ref _items[i];
            }
        }

        /// <summary>Adds an empty epoch.</summary>
        public void Add()
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            _items[_count++] = default;
        }

        /// <summary>Drops epochs below <paramref name="index"/>, in chunks so the copy is amortised.</summary>
        public void ForgetBefore(int index)
        {
            var drop = index - _base;
            if (drop >= 64)
            {
                Array.Copy(_items, drop, _items, 0, _count - drop);
                _count -= drop;
                _base = index;
            }
        }
    }

    private struct Accumulator
    {
        public double ActivitySum;
        public bool HasActivity;
        public double HrSum;
        public int HrCount;
        public int PresentVotes;
        public int AbsentVotes;
        public bool Stimulating;
    }
}

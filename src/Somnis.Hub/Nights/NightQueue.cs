using Somnis.Hub.Detection;

namespace Somnis.Hub.Nights;

/// <summary>
/// What the <see cref="NightRecorder"/> has handed over and the store does not have yet, per night, in the order nights
/// were first queued. Changes to one night coalesce: epochs add up, while metrics, assessments and the end are replaced
/// by the newest. Epochs are bounded (<see cref="Storage.StorageOptions.NightQueueCapacity"/>): beyond it new epochs are
/// dropped and counted (the hypnogram gets a hole; metrics, assessments and ends are small and always kept). Thread-safe.
/// </summary>
internal sealed class NightQueue(int epochCapacity, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Pending> _order = new();
    private readonly Dictionary<string, LinkedListNode<Pending>> _byId = new(StringComparer.Ordinal);
    private int _epochs;
    private long _dropped;

    /// <summary>Epochs waiting.</summary>
    public int Epochs
    {
        get
        {
            lock (_gate)
            {
                return _epochs;
            }
        }
    }

    /// <summary>Nights with something waiting.</summary>
    public int Nights
    {
        get
        {
            lock (_gate)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Epochs dropped because the queue was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Hub time the oldest waiting change was queued, or null when nothing waits.</summary>
    public DateTimeOffset? OldestQueuedAt
    {
        get
        {
            lock (_gate)
            {
                return _order.First?.Value.QueuedAt;
            }
        }
    }

    /// <summary>Queues a change of one night.</summary>
    /// <returns>Epochs dropped because the queue is full (0 normally).</returns>
    public int Add(NightKey key, DateOnly nightDate, IReadOnlyList<StoredEpoch> epochs, NightMetrics? metrics = null,
        IReadOnlyList<NightAssessment>? assessments = null, DateTimeOffset? end = null)
    {
        lock (_gate)
        {
            var id = key.Id;
            if (!_byId.TryGetValue(id, out var node))
            {
                node = _order.AddLast(new Pending(key, nightDate, time.GetUtcNow()));
                _byId[id] = node;
            }

            var p = node.Value;
            var room = Math.Max(0, epochCapacity - _epochs);
            var taken = Math.Min(room, epochs.Count);
            for (var i = 0; i < taken; i++)
            {
                p.Epochs.Add(epochs[i]);
            }

            _epochs += taken;
            p.Metrics = metrics ?? p.Metrics;
            p.Assessments = assessments ?? p.Assessments;
            p.End = end ?? p.End;
            var dropped = epochs.Count - taken;
            Interlocked.Add(ref _dropped, dropped);
            return dropped;
        }
    }

    /// <summary>Takes whole nights, oldest first, until about <paramref name="maxEpochs"/> epochs (at least one night).</summary>
    public List<NightChange> Take(int maxEpochs)
    {
        var batch = new List<NightChange>();
        lock (_gate)
        {
            var epochs = 0;
            while (_order.First is { } node && (batch.Count == 0 || epochs + node.Value.Epochs.Count <= maxEpochs))
            {
                var p = node.Value;
                _order.RemoveFirst();
                _byId.Remove(p.Key.Id);
                _epochs -= p.Epochs.Count;
                epochs += p.Epochs.Count;
                batch.Add(new NightChange(p.Key, p.NightDate, p.Epochs, p.Metrics, p.Assessments, p.End) { QueuedAt = p.QueuedAt });
            }
        }

        return batch;
    }

    /// <summary>Puts a batch the store did not take back in front, merged with what was queued for the same nights since
    /// (older epochs first; newer metrics, assessments and end win). Nothing is dropped: it was counted in once already.</summary>
    public void Return(IReadOnlyList<NightChange> batch)
    {
        lock (_gate)
        {
            for (var i = batch.Count - 1; i >= 0; i--)
            {
                var c = batch[i];
                var back = new Pending(c.Key, c.NightDate, c.QueuedAt) { Metrics = c.Metrics, Assessments = c.Assessments, End = c.End };
                back.Epochs.AddRange(c.Epochs);
                if (_byId.Remove(c.Key.Id, out var newer))
                {
                    _order.Remove(newer);
                    back.Epochs.AddRange(newer.Value.Epochs);
                    _epochs -= newer.Value.Epochs.Count;
                    back.Metrics = newer.Value.Metrics ?? back.Metrics;
                    back.Assessments = newer.Value.Assessments ?? back.Assessments;
                    back.End = newer.Value.End ?? back.End;
                }

                _byId[c.Key.Id] = _order.AddFirst(back);
                _epochs += back.Epochs.Count;
            }
        }
    }

    private sealed class Pending(NightKey key, DateOnly nightDate, DateTimeOffset queuedAt)
    {
        public NightKey Key { get; } = key;

        public DateOnly NightDate { get; } = nightDate;

        public DateTimeOffset QueuedAt { get; } = queuedAt;

        public List<StoredEpoch> Epochs { get; } = [];

        public NightMetrics? Metrics { get; set; }

        public IReadOnlyList<NightAssessment>? Assessments { get; set; }

        public DateTimeOffset? End { get; set; }
    }
}

using System.Collections.Concurrent;
using Somnis.Contracts;

namespace Somnis.Hub.Ingestion;

/// <summary>
/// Parsed bed topics by topic string. A facility's edges publish on a few topics each, for ever: splitting every
/// topic again was a visible share of the hub's allocations (docs/performance.md, "What was changed", topics), and a
/// hit also hands out the same facility and bed strings every time. Bounded, so a client publishing on ever new topics cannot grow it: past the bound, topics
/// are parsed without being kept.
/// </summary>
internal sealed class TopicCache(int capacity = TopicCache.DefaultCapacity)
{
    public const int DefaultCapacity = 65_536;
    private readonly ConcurrentDictionary<string, BedTopic> _parsed = new(StringComparer.Ordinal);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>As <see cref="Topics.TryParse"/>; only valid topics are kept.</summary>
    public bool TryParse(string topic, out BedTopic parsed)
    {
        if (_parsed.TryGetValue(topic, out parsed))
        {
            return true;
        }

        if (!Topics.TryParse(topic, out parsed))
        {
            return false;
        }

        if (Volatile.Read(ref _count) < capacity && _parsed.TryAdd(topic, parsed))
        {
            Interlocked.Increment(ref _count);
        }

        return true;
    }
}

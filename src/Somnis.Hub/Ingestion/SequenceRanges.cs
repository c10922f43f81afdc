namespace Somnis.Hub.Ingestion;

/// <summary>A set of sequence numbers kept as sorted, disjoint, inclusive ranges (a bed's missing or lost numbers).
/// Usually a handful of ranges however long the night, so lookups are a binary search over very few items.</summary>
internal sealed class SequenceRanges
{
    private readonly List<(long From, long To)> _ranges = [];

    /// <summary>How many sequence numbers the set holds.</summary>
    public long Count { get; private set; }

    public int RangeCount => _ranges.Count;

    public IReadOnlyList<(long From, long To)> Ranges => _ranges;

    /// <summary>Adds [from, to]; ranges must not overlap what is already held except by merging at the edges.</summary>
    public void Add(long from, long to)
    {
        if (to < from)
        {
            return;
        }

        var i = FindFirstEndingAtOrAfter(from - 1);
        var newFrom = from;
        var newTo = to;
        var removed = 0L;
        var j = i;
        while (j < _ranges.Count && _ranges[j].From <= to + 1)
        {
            newFrom = Math.Min(newFrom, _ranges[j].From);
            newTo = Math.Max(newTo, _ranges[j].To);
            removed += _ranges[j].To - _ranges[j].From + 1;
            j++;
        }

        _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (newFrom, newTo));
        Count += newTo - newFrom + 1 - removed;
    }

    public bool Contains(long value)
    {
        var i = FindFirstEndingAtOrAfter(value);
        return i < _ranges.Count && _ranges[i].From <= value;
    }

    /// <summary>Removes one number; false when it was not in the set.</summary>
    public bool Remove(long value)
    {
        var i = FindFirstEndingAtOrAfter(value);
        if (i >= _ranges.Count || _ranges[i].From > value)
        {
            return false;
        }

        var (from, to) = _ranges[i];
        if (from == to)
        {
            _ranges.RemoveAt(i);
        }
        else if (value == from)
        {
            _ranges[i] = (from + 1, to);
        }
        else if (value == to)
        {
            _ranges[i] = (from, to - 1);
        }
        else
        {
            _ranges[i] = (from, value - 1);
            _ranges.Insert(i + 1, (value + 1, to));
        }

        Count--;
        return true;
    }

    /// <summary>Removes and returns the parts of [from, to] that are in the set.</summary>
    public List<(long From, long To)> Extract(long from, long to)
    {
        var taken = new List<(long From, long To)>();
        var i = FindFirstEndingAtOrAfter(from);
        while (i < _ranges.Count && _ranges[i].From <= to)
        {
            var (f, t) = _ranges[i];
            var cutFrom = Math.Max(f, from);
            var cutTo = Math.Min(t, to);
            taken.Add((cutFrom, cutTo));
            Count -= cutTo - cutFrom + 1;
            _ranges.RemoveAt(i);
            if (t > cutTo)
            {
                _ranges.Insert(i, (cutTo + 1, t));
            }

            if (f < cutFrom)
            {
                _ranges.Insert(i, (f, cutFrom - 1));
                i++;
            }
        }

        return taken;
    }

    /// <summary>Removes and returns the lowest range (to bound memory).</summary>
    public (long From, long To) TakeFirst()
    {
        var first = _ranges[0];
        _ranges.RemoveAt(0);
        Count -= first.To - first.From + 1;
        return first;
    }

    public void Clear()
    {
        _ranges.Clear();
        Count = 0;
    }

    private int FindFirstEndingAtOrAfter(long value)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_ranges[mid].To < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}

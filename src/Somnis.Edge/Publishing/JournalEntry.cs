using Somnis.Contracts;

namespace Somnis.Edge.Publishing;

/// <summary>What a journal record holds; the topic is rebuilt from the kind, so it is not stored.</summary>
internal enum RecordKind : byte
{
    Vitals = 1,
    Architect = 2,
    Gap = 3,
}

/// <summary>One journaled message. Mutable flags are only touched under the journal's lock.</summary>
internal sealed class JournalEntry
{
    public required long Index { get; init; }

    public required RecordKind Kind { get; init; }

    /// <summary>Data sequence number; 0 for gap reports.</summary>
    public required long Seq { get; init; }

    public required DateTimeOffset EventTs { get; init; }

    /// <summary>Real (TimeProvider) time the record entered the journal; the age bound counts from here.</summary>
    public required DateTimeOffset AppendedAt { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    internal JournalSegment? Segment { get; set; }

    /// <summary>Its place in the <see cref="JournalQueue"/>; null once it left (acknowledged or dropped).</summary>
    internal LinkedListNode<JournalEntry>? Node { get; set; }

    internal bool InFlight { get; set; }

    /// <summary>Removed by a bound while being published; if that publish fails the record is reported as a gap.</summary>
    internal string? EvictedFor { get; set; }

    public bool IsData => Kind is RecordKind.Vitals or RecordKind.Architect;

    public string TopicKind => Kind switch
    {
        RecordKind.Vitals => Topics.Vitals,
        RecordKind.Architect => Topics.Architect,
        _ => Topics.Gap,
    };
}

/// <summary>Bounds and flush policy of one bed's journal (from <see cref="EdgeOptions"/>).</summary>
internal sealed record JournalSettings(string? Directory, long MaxBytes, TimeSpan MaxAge, long SegmentBytes, TimeSpan FlushInterval, long FlushBytes)
{
    public static JournalSettings For(EdgeOptions o, string facility, string bed) => new(
        o.Journal is { Length: > 0 } dir ? System.IO.Path.Combine(dir, facility, bed) : null,
        o.JournalMaxBytes,
        o.JournalMaxAge,
        o.JournalSegmentBytes,
        o.JournalFlushInterval,
        o.JournalFlushBytes);
}

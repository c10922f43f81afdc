namespace Somnis.Edge.Tests.Publishing;

/// <summary>The journal byte fixtures in <c>fixtures/</c>, built from the documented record layout by make-fixtures.py.</summary>
internal static class Fixtures
{
    /// <summary>Event times in the fixtures are this + 10 s × sequence; appended-at times this + 100 ms × index.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);

    public static byte[] Segment(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Publishing", "fixtures", name));
}

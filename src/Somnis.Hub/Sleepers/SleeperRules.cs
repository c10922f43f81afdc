using System.Text;
using Somnis.Contracts;

namespace Somnis.Hub.Sleepers;

/// <summary>What a sleeper's fields may hold (docs/protocol.md, "Sleepers"). Each check returns the problem in words, or null.</summary>
internal static class SleeperRules
{
    public const int MaxName = 80;
    public const int MaxNotes = 2000;

    public static string? NameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "name is required";
        }

        if (name.Length > MaxName)
        {
            return $"name must be at most {MaxName} characters (got {name.Length})";
        }

        return name.Any(char.IsControl) ? "name must not contain control characters" : null;
    }

    public static string? NotesProblem(string? notes) =>
        notes is { Length: > MaxNotes } ? $"notes must be at most {MaxNotes} characters (got {notes.Length})" : null;

    public static string? IdProblem(string? id) => Identifiers.IsValid(id) && id == id!.ToLowerInvariant()
        ? null
        : $"'{Shorten(id)}' is not a sleeper id (1–{Identifiers.MaxLength} lower-case letters, digits, '-' or '_')";

    /// <summary>Parses <c>architect</c>, <c>companions</c> or <c>none</c>; null with a problem otherwise.</summary>
    public static SleepProgram? ParseProgram(string? text, out string? problem)
    {
        problem = null;
        switch (text)
        {
            case "architect":
                return SleepProgram.Architect;
            case "companions":
                return SleepProgram.Companions;
            case "none":
                return SleepProgram.None;
            case null or "":
                problem = "program is required (architect, companions or none)";
                return null;
            default:
                problem = $"unknown program '{Shorten(text)}' (programs: architect, companions, none)";
                return null;
        }
    }

    /// <summary>An id made from a name ("Ada Lovelace" → <c>ada-lovelace</c>), made unique with <c>-2</c>, <c>-3</c>… when taken.
    /// Letters outside ASCII become separators (the hub runs with invariant globalization: no accent folding); a client
    /// that wants another id gives one.</summary>
    public static string IdFromName(string name, Func<string, bool> taken)
    {
        var sb = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        var stem = sb.ToString().Trim('-');
        stem = stem.Length == 0 ? "sleeper" : stem[..Math.Min(stem.Length, Identifiers.MaxLength - 6)].TrimEnd('-');
        var id = stem;
        for (var n = 2; taken(id); n++)
        {
            id = $"{stem}-{n}";
        }

        return id;
    }

    private static string Shorten(string? s) => s is null ? "" : s.Length > 70 ? s[..70] + "…" : s;
}

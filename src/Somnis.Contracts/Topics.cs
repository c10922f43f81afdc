namespace Somnis.Contracts;

/// <summary>
/// The MQTT topic scheme (docs/protocol.md). Every topic lives under <c>somnis/{facility}/beds/{bed}/</c>:
/// <list type="bullet">
/// <item><c>vitals</c>: <see cref="VitalsMessage"/>, QoS 1, not retained.</item>
/// <item><c>status</c>: <see cref="StatusMessage"/>, QoS 1, retained (birth message and last will).</item>
/// <item><c>architect</c>: <see cref="ArchitectEvent"/>, QoS 1, not retained.</item>
/// <item><c>gap</c>: <see cref="GapMessage"/>, QoS 1, not retained (docs/protocol.md, "Delivery additions").</item>
/// <item><c>cmd</c>: <see cref="CommandMessage"/> from the hub to the edge, QoS 1; retained for the interlock
/// (<c>pause</c>/<c>resume</c>: the state the hub wants), not retained for <c>resend</c>.</item>
/// </list>
/// </summary>
public static class Topics
{
    public const string Root = "somnis";
    public const string Vitals = "vitals";
    public const string Status = "status";
    public const string Architect = "architect";
    public const string Command = "cmd";
    public const string Gap = "gap";

    public static string BedPrefix(string facility, string bed) => $"{Root}/{facility}/beds/{bed}";

    public static string For(string facility, string bed, string kind) => $"{BedPrefix(facility, bed)}/{kind}";

    /// <summary>Subscription filter for everything the edges of one facility (or <c>+</c> for all) publish.</summary>
    public static string AllBeds(string facility = "+") => $"{Root}/{facility}/beds/+/+";

    /// <summary>Splits <c>somnis/{facility}/beds/{bed}/{kind}</c>; false for any other shape.</summary>
    public static bool TryParse(string topic, out BedTopic parsed)
    {
        parsed = default;
        var parts = topic.Split('/');
        if (parts.Length != 5 || parts[0] != Root || parts[2] != "beds")
        {
            return false;
        }

        if (!Identifiers.IsValid(parts[1]) || !Identifiers.IsValid(parts[3]) || parts[4].Length == 0)
        {
            return false;
        }

        parsed = new BedTopic(parts[1], parts[3], parts[4]);
        return true;
    }
}

/// <summary>The parts of a bed topic.</summary>
public readonly record struct BedTopic(string Facility, string Bed, string Kind);

/// <summary>Facility and bed identifiers: 1–64 characters of <c>[A-Za-z0-9_-]</c>, so they are safe as MQTT topic levels.</summary>
public static class Identifiers
{
    public const int MaxLength = 64;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}

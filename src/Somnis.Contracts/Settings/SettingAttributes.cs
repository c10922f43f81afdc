using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Somnis.Contracts.Settings;

/// <summary>
/// An options class (or a nested part of one) that knows its configuration section, so a validation message can name a
/// setting as users write it (<c>Edge:Speed</c>). Implemented explicitly, so the configuration binder does not see it.
/// </summary>
public interface ISettingsSection
{
    /// <summary>The section's configuration path, e.g. <c>Edge</c> or <c>Alarms:Webhook</c>.</summary>
    string SectionPath { get; }
}

/// <summary>
/// Base of the settings' validation attributes. The options validation source generator (<c>[OptionsValidator]</c>)
/// runs them; each failure names the setting, with its command-line flag where it has one
/// (<c>--speed (Edge:Speed) must be between 0.1 and 100000 (got 0)</c>), so a start-up error says what to change.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public abstract class SettingAttribute : ValidationAttribute
{
    /// <summary>The command-line flag that sets this key (<c>--speed</c>); unset when there is none. Tests check it against
    /// the hosts' flag tables.</summary>
    public string? Flag { get; set; }

    /// <summary>What is wrong with <paramref name="value"/> (<c>must be between 1 and 60 (got 0)</c>), or null when it is valid.</summary>
    public abstract string? Problem(object? value);

    /// <summary>The setting as users write it: <c>--flag (Section:Key)</c>, or <c>Section:Key</c>.</summary>
    public string Setting(ValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // A part validated under a name (an alarm type of a dictionary) is called "{name}.{Member}" by the generator.
        var key = context.ObjectInstance is ISettingsSection section
            ? $"{section.SectionPath}:{context.MemberName}"
            : context.DisplayName.Replace('.', ':');
        return Flag is null ? key : $"{Flag} ({key})";
    }

    protected sealed override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Problem(value) is { } problem ? new ValidationResult($"{Setting(validationContext)} {problem}") : ValidationResult.Success;

    internal static string Format(object? value) => value switch
    {
        null => "nothing",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>
/// Inclusive bounds of a number or a <see cref="TimeSpan"/> setting, written once here: the generated validator checks
/// them, and the docs' tables are checked against them. TimeSpan bounds are written as in configuration
/// (<c>[Bounds(typeof(TimeSpan), "00:00:01", "01:00:00")]</c>, invariant <c>c</c> format). NaN is out of any bounds; an
/// unset nullable setting is in them.
/// </summary>
public sealed class BoundsAttribute : SettingAttribute
{
    public BoundsAttribute(int minimum, int maximum)
        : this((double)minimum, maximum)
    {
    }

    public BoundsAttribute(long minimum, long maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
        MinimumText = minimum.ToString(CultureInfo.InvariantCulture);
        MaximumText = maximum.ToString(CultureInfo.InvariantCulture);
    }

    public BoundsAttribute(double minimum, double maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
        MinimumText = minimum.ToString(CultureInfo.InvariantCulture);
        MaximumText = maximum.ToString(CultureInfo.InvariantCulture);
    }

    /// <param name="type">Only <see cref="TimeSpan"/>.</param>
    public BoundsAttribute(Type type, string minimum, string maximum)
    {
        if (type != typeof(TimeSpan))
        {
            throw new ArgumentException("Bounds given as text are TimeSpan bounds", nameof(type));
        }

        Minimum = TimeSpan.ParseExact(minimum, "c", CultureInfo.InvariantCulture);
        Maximum = TimeSpan.ParseExact(maximum, "c", CultureInfo.InvariantCulture);
        MinimumText = minimum;
        MaximumText = maximum;
    }

    /// <summary>The lower bound: a <see cref="double"/>, <see cref="long"/> or <see cref="TimeSpan"/>.</summary>
    public object Minimum { get; }

    public object Maximum { get; }

    /// <summary>The bounds as the attribute writes them (also in messages and docs).</summary>
    public string MinimumText { get; }

    public string MaximumText { get; }

    /// <summary>Unit of a number in messages (<c>bytes</c>, <c>messages</c>); TimeSpans and plain numbers have none.</summary>
    public string? Unit { get; set; }

    public override string? Problem(object? value)
    {
        var within = (value, Minimum, Maximum) switch
        {
            (null, _, _) => true,
            (TimeSpan t, TimeSpan min, TimeSpan max) => t >= min && t <= max,
            (long l, long min, long max) => l >= min && l <= max,
            (int or long or double or float, _, _) when Minimum is not TimeSpan =>
                Convert.ToDouble(value, CultureInfo.InvariantCulture) is var d && d >= Convert.ToDouble(Minimum, CultureInfo.InvariantCulture) && d <= Convert.ToDouble(Maximum, CultureInfo.InvariantCulture),
            _ => throw new InvalidOperationException($"[Bounds] of {Minimum.GetType().Name} cannot check a {value.GetType().Name}"),
        };
        return within ? null : $"must be between {MinimumText} and {MaximumText}{(Unit is null ? "" : " " + Unit)} (got {Format(value)})";
    }
}

/// <summary>A facility, bed or other id: 1–64 of <c>[A-Za-z0-9_-]</c> (<see cref="Identifiers"/>). Unset is valid.</summary>
public sealed class IdentifierAttribute : SettingAttribute
{
    public override string? Problem(object? value) =>
        value is null || (value is string s && Identifiers.IsValid(s))
            ? null
            : $"must be 1-{Identifiers.MaxLength} characters of A-Z a-z 0-9 - _ (got '{value}')";
}

/// <summary>
/// An enum setting must hold one of its named values. The binder reads names case-insensitively; any other text reaches
/// validation as 0 (<see cref="Spellings"/>), which no settings enum defines.
/// </summary>
public sealed class DefinedAttribute : SettingAttribute
{
    /// <summary>How the allowed values are written, when not the enum's names in lower case (<c>5 or 3.1.1</c>).</summary>
    public string? Allowed { get; set; }

    public override string? Problem(object? value)
    {
        if (value is not Enum e || Enum.IsDefined(e.GetType(), e))
        {
            return null;
        }

        return $"must be {Allowed ?? Choices(e.GetType())}";
    }

    /// <summary>The enum's names in lower case, as a sentence: <c>'model' or 'chips'</c>.</summary>
    public static string Choices(Type enumType)
    {
        var names = Enum.GetNames(enumType).Select(n => $"'{n.ToLowerInvariant()}'").ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }
}

/// <summary>A text setting that must name something (a directory, a heading) when it is set.</summary>
public sealed class NotBlankAttribute : SettingAttribute
{
    /// <summary>Whether leaving the setting unset (null) is fine; only a blank text is refused then.</summary>
    public bool AllowUnset { get; set; }

    /// <summary>The message's predicate. Default <c>must not be empty</c>.</summary>
    public string Requirement { get; set; } = "must not be empty";

    public override string? Problem(object? value) =>
        (value is null && AllowUnset) || (value is string s && !string.IsNullOrWhiteSpace(s)) ? null : Requirement;
}

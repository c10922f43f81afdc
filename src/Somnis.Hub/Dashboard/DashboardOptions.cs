using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Dashboard;

/// <summary>How the dashboard shows the facility (section <c>Dashboard</c>; docs/dashboard.md).</summary>
public sealed class DashboardOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Dashboard";

    /// <summary>IANA time zone id of the facility (e.g. <c>Europe/Berlin</c>). Every time on the pages and the
    /// date that names a night are shown in it. Default <c>UTC</c>.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Wards (or rooms) in display order. A bed belongs to the first ward listing it; beds listed nowhere go
    /// to <see cref="DefaultWard"/>. Empty (the default): one ward.</summary>
    public List<WardLayout> Layout { get; set; } = [];

    /// <summary>Name of the ward for beds no <see cref="Layout"/> entry lists.</summary>
    /// <value>Default <c>Beds</c>.</value>
    [NotBlank]
    public string DefaultWard { get; set; } = "Beds";

    internal TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The ward a bed is shown in (same rule as the pages' JavaScript: exact id, or a prefix ending in <c>*</c>).</summary>
    internal string WardOf(string bed)
    {
        foreach (var ward in Layout)
        {
            if (ward.Beds.Any(pattern => WardLayout.Matches(pattern, bed)))
            {
                return ward.Name;
            }
        }

        return DefaultWard;
    }

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        DashboardOptionsValidator.Rules(this).Select(e => new ValidationResult(e));
}

/// <summary>One ward: a name and the beds in it.</summary>
public sealed class WardLayout
{
    /// <summary>Shown as the group heading, e.g. <c>North ward</c> or <c>Room 3</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Bed ids, or id prefixes ending in <c>*</c> (<c>bed-0*</c>).</summary>
    public List<string> Beds { get; set; } = [];

    internal static bool Matches(string pattern, string bed) =>
        pattern.EndsWith('*') ? bed.StartsWith(pattern[..^1], StringComparison.Ordinal) : pattern == bed;
}

/// <summary>Generated from <see cref="DashboardOptions"/>' attributes, plus <see cref="Rules"/>.</summary>
[OptionsValidator]
internal sealed partial class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    /// <summary>The time zone must be known; wards need unique names and valid bed ids or prefixes.</summary>
    internal static List<string> Rules(DashboardOptions o)
    {
        var errors = new List<string>();
        try
        {
            _ = o.Zone();
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            errors.Add($"Dashboard:TimeZone '{o.TimeZone}' is not a known IANA time zone id (e.g. UTC, Europe/Berlin, America/New_York)");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Layout.Count; i++)
        {
            var ward = o.Layout[i];
            if (string.IsNullOrWhiteSpace(ward.Name) || ward.Name.Length > 60)
            {
                errors.Add($"Dashboard:Layout:{i}:Name must be 1–60 characters");
            }
            else if (!names.Add(ward.Name))
            {
                errors.Add($"Dashboard:Layout:{i}:Name '{ward.Name}' is used by two wards");
            }

            if (ward.Beds.Count == 0)
            {
                errors.Add($"Dashboard:Layout:{i}:Beds must list at least one bed id or prefix*");
            }

            foreach (var bed in ward.Beds)
            {
                var id = bed.EndsWith('*') ? bed[..^1] : bed;
                if (!(id.Length == 0 && bed == "*") && !Somnis.Contracts.Identifiers.IsValid(id))
                {
                    errors.Add($"Dashboard:Layout:{i}:Beds: '{bed}' is not a bed id or a prefix ending in *");
                }
            }
        }

        return errors;
    }
}

using System.Reflection;
using System.Text;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Tests;

/// <summary>
/// docs/settings.md is generated from the options classes, so its bounds are the attributes' and cannot drift. After a
/// change of an options class, rewrite it with <c>SOMNIS_UPDATE_DOCS=1 dotnet test tests/Somnis.Hub.Tests --filter
/// SettingsReferenceTests</c> and commit the result.
/// </summary>
public sealed class SettingsReferenceTests
{
    [Fact]
    public void Docs_settings_md_is_generated_from_the_options_classes()
    {
        var path = Path.Combine(Repo.Root, "docs", "settings.md");
        var expected = Reference();
        if (Environment.GetEnvironmentVariable("SOMNIS_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), "docs/settings.md is missing: run with SOMNIS_UPDATE_DOCS=1 to write it");
        var actual = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(actual == expected, "docs/settings.md is not what the options classes say: run with SOMNIS_UPDATE_DOCS=1 to rewrite it, and commit it\n" + FirstDifference(expected, actual));
    }

    [Fact]
    public void Every_attribute_names_the_flag_of_its_key_and_every_flag_with_a_bound_is_named()
    {
        foreach (var setting in SettingsCatalog.All())
        {
            foreach (var attribute in setting.Attributes)
            {
                Assert.True(attribute.Flag == setting.Flag, $"{setting.Key}: [{attribute.GetType().Name}] says Flag = {attribute.Flag ?? "none"}, the command line maps {setting.Flag ?? "no flag"} to it");
            }
        }
    }

    [Fact]
    public void Every_default_is_within_its_bounds()
    {
        foreach (var setting in SettingsCatalog.All().Where(s => s.Default != "per type"))
        {
            foreach (var attribute in setting.Attributes)
            {
                Assert.True(attribute.Problem(setting.Value) is null, $"{setting.Key}: the default {setting.Default} {attribute.Problem(setting.Value)}");
            }
        }
    }

    [Fact]
    public void Every_options_class_knows_its_section_and_is_listed()
    {
        var listed = SettingsCatalog.Sections.ToHashSet();
        var assemblies = new[] { typeof(HubOptions).Assembly, typeof(Somnis.Edge.EdgeOptions).Assembly };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal) && t.GetField("Section") is not null))
        {
            Assert.True(typeof(ISettingsSection).IsAssignableFrom(type), $"{type.Name} does not implement ISettingsSection: its messages could not name its keys");
            Assert.True(listed.Contains(type), $"{type.Name} is not in SettingsCatalog.Sections (docs/settings.md)");
            Assert.Equal(SettingsCatalog.SectionOf(type), ((ISettingsSection)Activator.CreateInstance(type)!).SectionPath);
        }

        // A bounded property of a class that does not know its section would be named by its type's name instead.
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.GetProperties().Any(p => p.GetCustomAttributes<SettingAttribute>().Any())))
        {
            Assert.True(typeof(ISettingsSection).IsAssignableFrom(type) || type.Name == "AlarmTypeSettings", $"{type.Name} has bounds but no section");
        }
    }

    internal static string Reference()
    {
        var text = new StringBuilder();
        text.Append("""
            # Settings reference

            Generated from the options classes by `SettingsReferenceTests` (tests/Somnis.Hub.Tests); do not edit by hand. Every
            setting of hub and edge with its command-line flag, its default and what it allows. The bounds are declared once, as
            attributes on the options' properties (`[Bounds]`, `[Defined]`, `[Identifier]`, `[NotBlank]` of
            `Somnis.Contracts.Settings`), checked at start-up by the validators the options validation source generator writes;
            an invalid value stops the process (exit code 2) with one line per problem naming the flag, the key and the allowed
            range. Times are written as in configuration (`d.hh:mm:ss`), and enum values are read whatever their case. Rules
            between settings, and the lists and sections not shown here (`Auth:Users`, `Dashboard:Layout`, `Edge:Sensors`,
            the alarm types' priorities), are in the docs of each part: README.md, docs/operations.md, docs/storage.md,
            docs/alarms.md, docs/detection.md, docs/dashboard.md, docs/study.md, hardware/README.md.

            After changing an options class: `SOMNIS_UPDATE_DOCS=1 dotnet test tests/Somnis.Hub.Tests --filter SettingsReferenceTests`.

            """);
        foreach (var section in SettingsCatalog.Sections)
        {
            text.Append($"\n## `{SettingsCatalog.SectionOf(section)}` ({section.Name})\n\n| key | flag | default | allowed |\n| --- | --- | --- | --- |\n");
            foreach (var s in SettingsCatalog.Of(section))
            {
                text.Append($"| `{s.Key}` | {(s.Flag is null ? "" : $"`{s.Flag}`")} | {s.Default.Replace("|", "\\|", StringComparison.Ordinal)} | {s.Allowed} |\n");
            }
        }

        return text.ToString().ReplaceLineEndings("\n");
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var x = i < e.Length ? e[i] : "(end)";
            var y = i < a.Length ? a[i] : "(end)";
            if (x != y)
            {
                return $"line {i + 1}:\n  expected: {x}\n  in file:  {y}";
            }
        }

        return "";
    }
}

/// <summary>The repository's root (where Somnis.Facility.sln is).</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Somnis.Facility.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Somnis.Facility.sln not found above " + AppContext.BaseDirectory);
    }
}

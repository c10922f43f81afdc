using System.ComponentModel.DataAnnotations;
using Somnis.Contracts.Settings;

namespace Somnis.Contracts.Tests.Settings;

/// <summary>The settings' validation attributes, run as the options validation generator runs them (one property at a
/// time, with the options object as the context's instance).</summary>
public sealed class SettingAttributesTests
{
    private enum Colour
    {
        Red = 1,
        Green = 2,
        DarkBlue = 3,
    }

    [Theory]
    [InlineData(0, "--count (Test:Count) must be between 1 and 60 (got 0)")]
    [InlineData(61, "--count (Test:Count) must be between 1 and 60 (got 61)")]
    [InlineData(1, null)]
    [InlineData(60, null)]
    public void Integer_bounds_are_inclusive_and_name_flag_key_and_range(int value, string? expected) =>
        Assert.Equal(expected, Message(new BoundsAttribute(1, 60) { Flag = "--count" }, "Count", value));

    [Theory]
    [InlineData("00:00:00.999", "Test:Span must be between 00:00:01 and 01:00:00 (got 00:00:00.9990000)")]
    [InlineData("01:00:00.001", "Test:Span must be between 00:00:01 and 01:00:00 (got 01:00:00.0010000)")]
    [InlineData("00:00:01", null)]
    [InlineData("01:00:00", null)]
    public void TimeSpan_bounds_are_written_as_in_configuration(string value, string? expected) =>
        Assert.Equal(expected, Message(new BoundsAttribute(typeof(TimeSpan), "00:00:01", "01:00:00"), "Span", TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Doubles_longs_nullables_and_units()
    {
        var share = new BoundsAttribute(0.0, 1.0);
        Assert.Equal("Test:Share must be between 0 and 1 (got NaN)", Message(share, "Share", double.NaN));
        Assert.Equal("Test:Share must be between 0 and 1 (got 1.5)", Message(share, "Share", 1.5));
        Assert.Null(Message(share, "Share", 0.25));
        Assert.Null(Message(share, "Share", null));

        var bytes = new BoundsAttribute(512L, 64L * 1024 * 1024) { Unit = "bytes" };
        Assert.Equal("Test:Bytes must be between 512 and 67108864 bytes (got 511)", Message(bytes, "Bytes", 511L));
        Assert.Null(Message(bytes, "Bytes", 64L * 1024 * 1024));
    }

    [Fact]
    public void Bounds_of_one_kind_refuse_a_value_of_another()
    {
        Assert.Throws<ArgumentException>(() => new BoundsAttribute(typeof(int), "1", "2"));
        Assert.Throws<FormatException>(() => new BoundsAttribute(typeof(TimeSpan), "1 minute", "2"));
        Assert.Throws<InvalidOperationException>(() => Message(new BoundsAttribute(typeof(TimeSpan), "00:00:01", "00:00:02"), "Span", 5));
    }

    [Fact]
    public void Enums_must_be_defined_and_the_message_lists_the_values()
    {
        Assert.Equal("--colour (Test:Colour) must be 'red', 'green' or 'darkblue'", Message(new DefinedAttribute { Flag = "--colour" }, "Colour", (Colour)0));
        Assert.Equal("Test:Colour must be red or green", Message(new DefinedAttribute { Allowed = "red or green" }, "Colour", (Colour)7));
        Assert.Null(Message(new DefinedAttribute(), "Colour", Colour.DarkBlue));
    }

    [Fact]
    public void Identifiers_and_blank_texts()
    {
        Assert.Equal("--bed (Test:Bed) must be 1-64 characters of A-Z a-z 0-9 - _ (got 'bed #1')", Message(new IdentifierAttribute { Flag = "--bed" }, "Bed", "bed #1"));
        Assert.Null(Message(new IdentifierAttribute(), "Bed", null));
        Assert.Null(Message(new IdentifierAttribute(), "Bed", "bed-01"));

        Assert.Equal("Test:Dir must name a directory", Message(new NotBlankAttribute { Requirement = "must name a directory" }, "Dir", " "));
        Assert.Equal("Test:Dir must not be empty", Message(new NotBlankAttribute(), "Dir", null));
        Assert.Null(Message(new NotBlankAttribute { AllowUnset = true }, "Dir", null));
        Assert.Equal("Test:Dir must not be empty", Message(new NotBlankAttribute { AllowUnset = true }, "Dir", ""));
    }

    [Fact]
    public void A_part_validated_under_a_name_is_named_by_it()
    {
        // The generator calls a dictionary entry's validator with the entry's key as the name: "{name}.{Member}".
        var context = new ValidationContext(new object()) { MemberName = "OnDelay", DisplayName = "Alarms:Types:sensor-fault.OnDelay" };
        var result = new BoundsAttribute(typeof(TimeSpan), "00:00:00", "02:00:00").GetValidationResult(TimeSpan.FromHours(3), context);
        Assert.Equal("Alarms:Types:sensor-fault:OnDelay must be between 00:00:00 and 02:00:00 (got 03:00:00)", result?.ErrorMessage);
    }

    private static string? Message(SettingAttribute attribute, string member, object? value)
    {
        var context = new ValidationContext(new Section()) { MemberName = member, DisplayName = $"Section.{member}" };
        return attribute.GetValidationResult(value, context)?.ErrorMessage;
    }

    private sealed class Section : ISettingsSection
    {
        string ISettingsSection.SectionPath => "Test";
    }
}

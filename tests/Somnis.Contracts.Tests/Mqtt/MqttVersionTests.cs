using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

public sealed class MqttVersionTests
{
    [Theory]
    [InlineData("5", MqttVersion.V5)]
    [InlineData("3.1.1", MqttVersion.V311)]
    [InlineData(" v311 ", MqttVersion.V311)]
    [InlineData("V5", MqttVersion.V5)]
    public void The_usual_spellings_parse(string text, MqttVersion expected)
    {
        Assert.True(MqttVersions.TryParse(text, out var version));
        Assert.Equal(expected, version);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("4")]
    [InlineData("3.1")]
    [InlineData("mqtt5")]
    [InlineData(null)]
    public void Anything_else_does_not(string? text) => Assert.False(MqttVersions.TryParse(text, out _));

    [Fact]
    public void Labels_are_what_the_settings_take()
    {
        Assert.Equal("3.1.1", MqttVersion.V311.Label());
        Assert.Equal("5", MqttVersion.V5.Label());
        Assert.False(MqttVersions.IsValid(0));
    }
}

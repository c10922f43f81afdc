using Microsoft.Extensions.Configuration;
using Somnis.Contracts.Settings;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// The MQTT protocol version spoken to the broker (<c>--mqtt-version 5|3.1.1</c>); the values are the protocol levels
/// of the CONNECT packet. 3.1.1 is for brokers that speak nothing newer (nats-server): it has no session expiry, so a
/// persistent session is CleanSession = false and the broker decides how long it keeps it.
/// </summary>
public enum MqttVersion
{
    V311 = 4,
    V5 = 5,
}

/// <summary>How a version is written in the settings: <c>5</c> or <c>3.1.1</c> (the enum's names also work).</summary>
public static class MqttVersions
{
    public const string Allowed = "5 or 3.1.1";

    public static string Label(this MqttVersion version) => version == MqttVersion.V311 ? "3.1.1" : "5";

    public static bool IsValid(MqttVersion version) => version is MqttVersion.V5 or MqttVersion.V311;

    public static bool TryParse(string? text, out MqttVersion version)
    {
        version = (text?.Trim().ToUpperInvariant()) switch
        {
            "5" or "V5" => MqttVersion.V5,
            "3.1.1" or "V311" => MqttVersion.V311,
            _ => 0,
        };
        return version != 0;
    }

    /// <summary>The spelling of <c>5</c> and <c>3.1.1</c> for the configuration binder (<see cref="Spellings"/>): the
    /// binder reads an enum by its name or number only, and "3.1.1", the version's usual name, is neither.</summary>
    public static string? Spell(string text) => TryParse(text, out var v) ? v.ToString() : null;

    /// <summary>An options section whose <paramref name="key"/> the binder reads as <c>5</c> or <c>3.1.1</c>; any other text
    /// binds as 0 and fails validation naming the setting (<see cref="Spellings"/>).</summary>
    public static IConfiguration Spelled(IConfiguration section, string key = "MqttVersion") =>
        Spellings.View(section, new Dictionary<string, Func<string, string?>> { [key] = Spell });
}

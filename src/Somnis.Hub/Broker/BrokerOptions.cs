using System.ComponentModel.DataAnnotations;
using Somnis.Contracts.Mqtt;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Broker;

/// <summary>Which MQTT broker the hub reads (section <c>Broker</c>).</summary>
public sealed class BrokerOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Broker";

    /// <summary>External broker, <c>mqtt://HOST:PORT</c> or <c>mqtts://HOST:PORT</c>, or a comma-separated list of the
    /// nodes of a clustered broker in order of preference: a failed connection moves on to the next (<c>--broker</c>).
    /// Unset: the hub starts its own embedded broker on loopback.</summary>
    public string? Url { get; set; }

    /// <summary>MQTT protocol version of the hub's connections (<c>--mqtt-version</c>): <c>3.1.1</c> for brokers that speak
    /// nothing newer (nats-server). With 3.1.1 the session is kept with CleanSession = false and the broker decides for how
    /// long and how many messages it has in flight (<see cref="SessionExpiry"/> and <see cref="ReceiveMaximum"/> are MQTT 5
    /// only).</summary>
    /// <value><c>5</c> or <c>3.1.1</c>. Default <c>5</c>.</value>
    [Defined(Flag = "--mqtt-version", Allowed = MqttVersions.Allowed)]
    public MqttVersion MqttVersion { get; set; } = MqttVersion.V5;

    /// <summary>The hub's user name at the broker (<c>--broker-username</c>).</summary>
    public string? Username { get; set; }

    /// <summary>The hub's password at the broker (<c>--broker-password</c>).</summary>
    public string? Password { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate, for <c>mqtts://</c> with a private facility CA
    /// (<c>--broker-ca</c>, deploy/new-facility.sh). Unset: the system's trusted roots.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>Loopback port of the embedded broker; if taken, a free port is used and logged.</summary>
    /// <value>A TCP port. Default 1883.</value>
    [Bounds(1, 65535)]
    public int EmbeddedPort { get; set; } = 1883;

    /// <summary>Facilities this hub serves (MQTT topic level); empty or <c>+</c> for all.</summary>
    public string[] Facilities { get; set; } = [];

    /// <summary>MQTT client id of the hub; keep it stable so the broker keeps the hub's persistent session across restarts.</summary>
    public string ClientId { get; set; } = "somnis-hub";

    /// <summary>How long the broker keeps the hub's session (and queues QoS 1 messages for it) while the hub is away.</summary>
    /// <value>Default 1 h.</value>
    [Bounds(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Messages the broker may have in flight to the hub, unacknowledged (MQTT 5 Receive Maximum).
    /// The hub acknowledges after its delivery checkpoint, so this must cover the rate times the checkpoint interval with
    /// room to spare; every message in flight is held in the hub's memory until then.</summary>
    /// <value>Messages. Default 65535.</value>
    [Bounds(16, 65535, Unit = "messages")]
    public int ReceiveMaximum { get; set; } = 65535;

    public bool Embedded => string.IsNullOrWhiteSpace(Url);

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        BrokerOptionsValidator.Rules(this).Select(e => new ValidationResult(e));
}

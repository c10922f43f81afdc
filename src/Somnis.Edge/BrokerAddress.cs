namespace Somnis.Edge;

/// <summary>A broker given as <c>mqtt://HOST:PORT</c> or <c>mqtts://HOST:PORT</c> (TLS).</summary>
public sealed record BrokerAddress(string Host, int Port, bool Tls)
{
    public override string ToString() => $"{(Tls ? "mqtts" : "mqtt")}://{Host}:{Port}";

    public static bool TryParse(string? text, out BrokerAddress address, out string? error)
    {
        address = new BrokerAddress("127.0.0.1", 1883, false);
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts" or "tcp") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"must look like mqtt://HOST:PORT or mqtts://HOST:PORT (got '{text}')";
            return false;
        }

        var tls = uri.Scheme == "mqtts";
        var port = uri.IsDefaultPort || uri.Port < 0 ? (tls ? 8883 : 1883) : uri.Port;
        if (port is < 1 or > 65535)
        {
            error = $"port must be between 1 and 65535 (got {port})";
            return false;
        }

        address = new BrokerAddress(uri.Host, port, tls);
        return true;
    }

    public static BrokerAddress Parse(string text) =>
        TryParse(text, out var a, out var error) ? a : throw new FormatException(error);
}

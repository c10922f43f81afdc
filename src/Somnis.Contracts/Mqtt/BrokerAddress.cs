namespace Somnis.Contracts.Mqtt;

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

    /// <summary>
    /// A comma-separated list of brokers in order of preference (the nodes of a clustered broker, or one broker):
    /// <c>mqtts://a:8883,mqtts://b:8883</c>. Blanks around the commas are allowed; an empty entry or a repeated
    /// address is an error.
    /// </summary>
    public static bool TryParseList(string? text, out IReadOnlyList<BrokerAddress> addresses, out string? error)
    {
        addresses = [];
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must name at least one broker, as mqtt://HOST:PORT or mqtts://HOST:PORT (a comma-separated list for several)";
            return false;
        }

        var list = new List<BrokerAddress>();
        foreach (var entry in text.Split(','))
        {
            if (!TryParse(entry.Trim(), out var address, out var entryError))
            {
                error = list.Count == 0 && !text.Contains(',', StringComparison.Ordinal) ? entryError : $"entry {list.Count + 1} of the list {entryError}";
                return false;
            }

            if (list.Contains(address))
            {
                error = $"{address} is listed twice";
                return false;
            }

            list.Add(address);
        }

        addresses = list;
        return true;
    }

    public static IReadOnlyList<BrokerAddress> ParseList(string text) =>
        TryParseList(text, out var list, out var error) ? list : throw new FormatException(error);

    /// <summary>The list as it is written in the settings (<c>mqtt://a:1883,mqtt://b:1883</c>).</summary>
    public static string Format(IEnumerable<BrokerAddress> addresses) => string.Join(",", addresses);
}

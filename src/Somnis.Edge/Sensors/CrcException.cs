namespace Somnis.Edge.Sensors;

/// <summary>A chip's checksum did not match its data.</summary>
internal sealed class CrcException(string message) : IOException(message);

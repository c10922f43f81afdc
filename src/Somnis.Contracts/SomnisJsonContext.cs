using System.Text.Json;
using System.Text.Json.Serialization;

namespace Somnis.Contracts;

/// <summary>Source-generated JSON for every wire message: camelCase, nulls omitted, numbers strictly numbers.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // "NaN" and "Infinity" strings are read so that they are rejected as not-finite with the field named.
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(VitalsMessage))]
[JsonSerializable(typeof(StatusMessage))]
[JsonSerializable(typeof(ArchitectEvent))]
[JsonSerializable(typeof(CommandMessage))]
public sealed partial class SomnisJsonContext : JsonSerializerContext;

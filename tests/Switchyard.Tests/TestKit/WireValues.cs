using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>Lenient reads of request JSON for the model-rule classes: a value of the wrong kind reads as absent,
/// so a malformed body is left to the fakes' schema checks instead of throwing here.</summary>
public static class WireValues
{
    /// <summary>A JSON number as a double, or null (absent, null, or not a number).</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    /// <summary>A JSON string's value, or null (absent, null, or not a string).</summary>
    public static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A number as providers print it back (no exponent, no trailing zeros).</summary>
    public static string Show(double value) => value.ToString("0.################", CultureInfo.InvariantCulture);
}

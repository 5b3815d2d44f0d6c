using System.Text.Json.Nodes;
namespace Switchyard.Tests.TestKit.Gemini;

/// <summary>
/// The rules Google applies to a <c>generateContent</c> body per model, as a pure function: body, model and
/// door (AI Studio or Vertex) in, null or the 400 INVALID_ARGUMENT out. Used by <see cref="FakeGeminiUpstream"/>
/// and by Gemini on the Vertex fake. Sources:
/// <list type="bullet">
/// <item>GenerationConfig (https://ai.google.dev/api/generate-content#generationconfig and Vertex's
/// https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference): temperature 0.0–2.0,
/// topP 0.0–1.0.</item>
/// <item>Thinking (https://ai.google.dev/gemini-api/docs/thinking): Gemini 2.5 Pro and Gemini 3 cannot turn
/// thinking off (no budget 0); Gemini 2.0 models do not think at all.</item>
/// <item>Vertex's Part reference (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#FileData):
/// <c>fileData.mimeType</c> is required there, where AI Studio can read it from its File API.</item>
/// </list>
/// </summary>
public static class GeminiModelRules
{
    private const string VertexReference = "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini";

    /// <summary>Null when Google would accept <paramref name="body"/> for <paramref name="model"/>; else its 400.</summary>
    public static ProviderRefusal? Check(JsonObject body, string model, bool vertex)
    {
        var config = body["generationConfig"] as JsonObject;
        var message = Range("temperature", WireValues.Number(config?["temperature"]), 2)
            ?? Range("topP", WireValues.Number(config?["topP"]), 1)
            ?? Thinking(config?["thinkingConfig"] as JsonObject, model)
            ?? (vertex ? FileDataWithoutType(body) : null);
        return message is null ? null : new ProviderRefusal(400, "INVALID_ARGUMENT", message);
    }

    private static string? Range(string field, double? value, double max) => value is { } v && (v < 0 || v > max)
        ? $"Unable to submit request because it has a {field} value of {WireValues.Show(v)} but the supported range is from 0 (inclusive) to {WireValues.Show(max)} (inclusive). Update the value and try again."
        : null;

    private static string? Thinking(JsonObject? thinking, string model)
    {
        if (thinking is null)
        {
            return null;
        }

        // The 2.0 generation has no thinking (its experimental "-thinking-" variants aside).
        if (model.StartsWith("gemini-2.0", StringComparison.Ordinal) && !model.Contains("thinking", StringComparison.Ordinal))
        {
            return $"Unable to submit request because thinking is not supported by this model. Learn more: {VertexReference}";
        }

        var thinkOnly = model.StartsWith("gemini-2.5-pro", StringComparison.Ordinal) || model.StartsWith("gemini-3", StringComparison.Ordinal);
        return thinkOnly && WireValues.Number(thinking["thinkingBudget"]) == 0
            ? "Budget 0 is invalid. This model only works in thinking mode."
            : null;
    }

    /// <summary>Vertex needs the media type of every file it is pointed at; AI Studio looks it up in its File API.</summary>
    private static string? FileDataWithoutType(JsonObject body)
    {
        var parts = ((body["contents"] as JsonArray) ?? []).Append(body["systemInstruction"])
            .SelectMany(c => ((c as JsonObject)?["parts"] as JsonArray) ?? []);
        var untyped = parts.Any(p => (p as JsonObject)?["fileData"] is JsonObject file
            && string.IsNullOrEmpty(WireValues.Text(file["mimeType"])));
        return untyped
            ? $"Unable to submit request because it has an empty mimeType parameter in fileData. Add a value to the parameter and try again. Learn more: {VertexReference}"
            : null;
    }
}

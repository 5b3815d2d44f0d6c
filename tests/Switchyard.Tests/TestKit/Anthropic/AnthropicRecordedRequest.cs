using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>One request as the fake Anthropic upstream received it.</summary>
public sealed class AnthropicRecordedRequest(string path, IReadOnlyDictionary<string, string> headers, string body)
{
    /// <summary>Request path, e.g. <c>/v1/messages</c>.</summary>
    public string Path { get; } = path;

    /// <summary>Headers (case-insensitive names).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; } = headers;

    /// <summary>The raw body.</summary>
    public string Body { get; } = body;

    /// <summary>The body as JSON, or null.</summary>
    public JsonNode? Json { get; } = TryParse(body);

    /// <summary>The body's <c>model</c>.</summary>
    public string? Model => Json?["model"]?.GetValue<string>();

    /// <summary>The body has <c>"stream": true</c>.</summary>
    public bool IsStream => Json?["stream"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>How a JSON output reaches a Claude model.</summary>
public enum StructuredOutputMode
{
    /// <summary>No output format asked for.</summary>
    None,

    /// <summary>Claude's own structured outputs: <c>output_config.format</c> (constrained decoding).</summary>
    Native,

    /// <summary>
    /// A tool whose input schema is the output schema, forced with <c>tool_choice</c>; its arguments become the
    /// message's text. For models without native structured outputs, and for <c>json_object</c> (no schema).
    /// </summary>
    ForcedTool,
}

/// <summary>The output plan for one request: the mode and the schema to send.</summary>
public readonly record struct StructuredOutputPlan(StructuredOutputMode Mode, JsonNode? Schema);

/// <summary>
/// JSON-schema output (OpenAI <c>response_format</c>, Responses <c>text.format</c>, Gemini <c>responseSchema</c>)
/// for Claude. Natively where the model has structured outputs (Claude API: 4.5 models and later; Vertex AI:
/// Opus 4.6+, Sonnet 4.6+ and Mythos, per Anthropic's structured-outputs page), otherwise by a forced tool. A
/// native schema must fit what constrained decoding takes: objects closed (<c>additionalProperties: false</c> is
/// added where absent, the rule OpenAI's strict mode has too), no numeric or length constraints, no
/// <c>maxItems</c>, <c>minItems</c> only 0 or 1, no recursion. Anything else is refused naming its path, or
/// under <c>drop_unsupported_params</c> removed and listed.
/// </summary>
public static partial class AnthropicStructuredOutput
{
    /// <summary>The forced tool's name; a client tool of this name is refused (its answers would be read as text).</summary>
    public const string ToolName = "structured_output";

    private static readonly string[] Constraints = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "maxItems"];

    /// <summary>The plan for <paramref name="r"/> on <paramref name="model"/>.</summary>
    public static StructuredOutputPlan Prepare(ChatRequest r, string model, bool vertex, Action<string, string> unsupported)
    {
        if (r.ResponseFormat is not { Kind: not ResponseFormatKind.Text } format)
        {
            return default;
        }

        if (r.Tools.Exists(t => t.Name == ToolName))
        {
            throw new UnsupportedFeatureException("tools", $"the tool name '{ToolName}' is reserved by the gateway for JSON output to Claude");
        }

        var schema = format.Schema is { } s ? JsonNode.Parse(s.GetRawText()) : null;
        if (format.Kind == ResponseFormatKind.JsonSchema && schema is not null && Native(model, vertex))
        {
            Close(schema, "response_format.json_schema.schema", unsupported, definition: null);
            return new StructuredOutputPlan(StructuredOutputMode.Native, schema);
        }

        if (r.Tools.Count > 0)
        {
            unsupported("response_format", $"'{model}' has no native structured outputs, and a forced output tool cannot sit beside the request's own tools");
            return default;
        }

        return new StructuredOutputPlan(StructuredOutputMode.ForcedTool, schema ?? new JsonObject { ["type"] = "object" });
    }

    /// <summary>
    /// Whether <paramref name="model"/> has native structured outputs: Claude 4.5 and later on the Claude API
    /// (ids such as <c>claude-sonnet-4-5-20250929</c>, Bedrock's <c>anthropic.claude-haiku-4-5-…</c>), and on
    /// Vertex AI the 4.6 models and later. Unknown names get the forced tool, which every Claude model takes.
    /// </summary>
    public static bool Native(string model, bool vertex)
    {
        if (model.Contains("claude-mythos", StringComparison.Ordinal))
        {
            return true;
        }

        var m = ModelVersion().Match(model);
        if (!m.Success)
        {
            return false;
        }

        var major = int.Parse(m.Groups[2].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
        var minor = m.Groups[3].Success ? int.Parse(m.Groups[3].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var version = (major * 10) + minor;
        return vertex ? version >= 46 : version >= 45;
    }

    /// <summary>Writes <c>tools</c> and <c>tool_choice</c> for <see cref="StructuredOutputMode.ForcedTool"/>.</summary>
    public static void WriteForcedTool(Utf8JsonWriter w, JsonNode schema)
    {
        w.WriteStartArray("tools");
        w.WriteStartObject();
        w.WriteString("name", ToolName);
        w.WriteString("description", "Give the final answer as this tool's input, which must follow the schema exactly.");
        w.WritePropertyName("input_schema");
        schema.WriteTo(w);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("tool_choice");
        w.WriteString("type", "tool");
        w.WriteString("name", ToolName);
        w.WriteEndObject();
    }

    /// <summary>Makes every object schema closed and checks (or strips) what constrained decoding cannot take.</summary>
    private static void Close(JsonNode node, string path, Action<string, string> unsupported, string? definition)
    {
        switch (node)
        {
            case JsonObject o:
                CloseObject(o, path, unsupported, definition);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } item)
                    {
                        Close(item, $"{path}[{i}]", unsupported, definition);
                    }
                }

                break;
        }
    }

    /// <param name="definition">The <c>$defs</c> entry being walked, so a reference to itself is known as recursion.</param>
    private static void CloseObject(JsonObject o, string path, Action<string, string> unsupported, string? definition)
    {
        if (o["$ref"] is JsonValue reference && reference.TryGetValue<string>(out var target)
            && (target == "#" || (definition is not null && (target == "#/$defs/" + definition || target == "#/definitions/" + definition))))
        {
            throw new UnsupportedFeatureException(path + ".$ref", "Claude's structured outputs take no recursive schema");
        }

        foreach (var name in Constraints)
        {
            if (o.ContainsKey(name))
            {
                unsupported($"{path}.{name}", "Claude's structured outputs take no numeric, length or maxItems constraint");
                o.Remove(name);
            }
        }

        if (o["minItems"] is JsonValue min && min.TryGetValue<int>(out var count) && count > 1)
        {
            unsupported($"{path}.minItems", "Claude's structured outputs take minItems 0 or 1 only");
            o.Remove("minItems");
        }

        if (IsObjectSchema(o))
        {
            if (o["additionalProperties"] is { } extra && !(extra is JsonValue v && v.TryGetValue<bool>(out var b) && !b))
            {
                unsupported($"{path}.additionalProperties", "Claude's structured outputs take closed objects only");
            }

            o["additionalProperties"] = false;
        }

        foreach (var (key, child) in o.ToList())
        {
            if (child is JsonObject named && key is "$defs" or "definitions" or "properties" or "patternProperties")
            {
                // A map from names to schemas, not a schema: a property may well be called "minimum".
                foreach (var (name, schema) in named.ToList())
                {
                    if (schema is not null)
                    {
                        Close(schema, $"{path}.{key}.{name}", unsupported, key is "$defs" or "definitions" ? name : definition);
                    }
                }
            }
            else if (child is not null && key is not ("additionalProperties" or "enum" or "const" or "default"))
            {
                Close(child, $"{path}.{key}", unsupported, definition);
            }
        }
    }

    private static bool IsObjectSchema(JsonObject o) =>
        o.ContainsKey("properties") || (o["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "object");

    [GeneratedRegex(@"claude-(opus|sonnet|haiku)-(\d+)(?:[-.](\d)(?!\d))?", RegexOptions.CultureInvariant)]
    private static partial Regex ModelVersion();
}

using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.Gemini.GeminiJson;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Gemini <c>GenerateContentRequest</c> JSON → canonical <see cref="ChatRequest"/> (Gemini clients on the
/// translated path). Gemini function calls have no ids in most API versions: calls without one get
/// <c>call_{n}</c> (n counts calls across the conversation) and each <c>functionResponse</c> without one is
/// paired with the earliest unanswered call of the same name, which is how Gemini itself pairs them.
/// </summary>
public static class GeminiRequestReader
{
    /// <summary>Reads <paramref name="root"/> for the call named by the URL; an error names the field at fault.</summary>
    public static ClientError? Read(JsonElement root, GeminiCall call, out ChatRequest request)
    {
        request = new ChatRequest { Model = call.Model, Stream = call.Stream, StreamUsage = call.Stream };
        if (Str(root, "cachedContent", "cached_content") is not null)
        {
            return Invalid("cachedContent", "cachedContent refers to a cache held by one Google project and cannot be translated by this gateway.");
        }

        if (Get(root, "systemInstruction", "system_instruction", out var system))
        {
            if (system.ValueKind == JsonValueKind.String)
            {
                request.System.Add(new TextPart(system.GetString()!));
            }
            else if (ReadParts(system, "systemInstruction", request.System, null) is { } error)
            {
                return error;
            }
        }

        if (!Get(root, "contents", out var contents) || contents.ValueKind != JsonValueKind.Array || contents.GetArrayLength() == 0)
        {
            return Invalid("contents", "* GenerateContentRequest.contents: contents is not specified");
        }

        if (ReadContents(contents, request) is { } contentError)
        {
            return contentError;
        }

        if (Get(root, "tools", out var tools) && ReadTools(tools, request) is { } toolError)
        {
            return toolError;
        }

        request.ToolChoice = ToolChoiceOf(root);
        return Get(root, "generationConfig", "generation_config", out var config) ? ReadConfig(config, request) : null;
    }

    private static ClientError? ReadContents(JsonElement contents, ChatRequest request)
    {
        var calls = new CallBook();
        var i = 0;
        foreach (var content in contents.EnumerateArray())
        {
            var path = $"contents[{i++}]";
            var role = Str(content, "role") ?? "user";
            if (role is not ("user" or "model" or "function"))
            {
                return Invalid($"{path}.role", $"* GenerateContentRequest.{path}.role: Please use a valid role: user, model.");
            }

            var message = new Message(role == "model" ? Role.Assistant : Role.User);
            if (ReadParts(content, path, message.Content, calls) is { } error)
            {
                return error;
            }

            request.Messages.Add(message);
        }

        return null;
    }

    /// <summary><c>toolConfig.functionCallingConfig</c> → the canonical tool choice; null when absent or of an unknown mode.</summary>
    private static ToolChoice? ToolChoiceOf(JsonElement root)
    {
        if (!Get(root, "toolConfig", "tool_config", out var toolConfig)
            || !Get(toolConfig, "functionCallingConfig", "function_calling_config", out var fcc))
        {
            return null;
        }

        var names = Get(fcc, "allowedFunctionNames", "allowed_function_names", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            ? allowed.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!).ToList()
            : [];
        return Str(fcc, "mode")?.ToUpperInvariant() switch
        {
            "NONE" => new ToolChoice(ToolChoiceKind.None),

            // ANY limited to one function forces that function; to several, the restriction has no
            // canonical form and is approximated as "some tool must be called".
            "ANY" => names.Count == 1 ? new ToolChoice(ToolChoiceKind.Function, names[0]) : new ToolChoice(ToolChoiceKind.Required),
            "AUTO" or "VALIDATED" => new ToolChoice(ToolChoiceKind.Auto),
            _ => null,
        };
    }

    private static ClientError? ReadParts(JsonElement content, string path, List<ContentPart> into, CallBook? calls)
    {
        if (!Get(content, "parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return Invalid($"{path}.parts", $"* GenerateContentRequest.{path}.parts: must be an array of parts.");
        }

        var j = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (ReadPart(part, $"{path}.parts[{j++}]", into, calls) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>One part at <paramref name="at"/>; function calls and responses only where <paramref name="calls"/> pairs them.</summary>
    private static ClientError? ReadPart(JsonElement part, string at, List<ContentPart> into, CallBook? calls)
    {
        if (part.ValueKind != JsonValueKind.Object)
        {
            return Invalid(at, $"* GenerateContentRequest.{at}: must be an object.");
        }

        // A signature on a non-thought part (Gemini puts it on the function call or text that follows the
        // model's hidden reasoning) becomes a text-less ThinkingPart just before it, so it survives a round trip.
        var signature = Str(part, "thoughtSignature", "thought_signature");
        if (Str(part, "text") is { } text)
        {
            if (IsTrue(part, "thought"))
            {
                into.Add(new ThinkingPart(text, signature));
                return null;
            }

            AddSignature(into, signature);
            into.Add(new TextPart(text));
            return null;
        }

        if (Get(part, "inlineData", "inline_data", out var inline))
        {
            return AddMedia(into, at, "inlineData", Str(inline, "mimeType", "mime_type") ?? "", null, Str(inline, "data") ?? "");
        }

        if (Get(part, "fileData", "file_data", out var file))
        {
            return AddMedia(into, at, "fileData", Str(file, "mimeType", "mime_type") ?? "", Str(file, "fileUri", "file_uri") ?? "", null);
        }

        if (Get(part, "functionCall", "function_call", out var fc) && calls is not null)
        {
            return ReadFunctionCall(fc, at, signature, into, calls);
        }

        if (Get(part, "functionResponse", "function_response", out var fr) && calls is not null)
        {
            return ReadFunctionResponse(fr, at, into, calls);
        }

        var kind = part.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => n is not ("thoughtSignature" or "thought" or "thought_signature")) ?? "empty part";
        return Invalid(at, $"* GenerateContentRequest.{at}: '{kind}' parts cannot be translated by this gateway (text, inlineData, fileData, functionCall and functionResponse can).");
    }

    /// <summary>An <c>inlineData</c> or <c>fileData</c> part (<paramref name="field"/>), if its media type can be translated.</summary>
    private static ClientError? AddMedia(List<ContentPart> into, string at, string field, string mime, string? uri, string? data)
    {
        if (Media(mime, uri, data) is not { } media)
        {
            return Invalid($"{at}.{field}.mimeType", $"* GenerateContentRequest.{at}.{field}: media of type '{mime}' cannot be translated by this gateway (images, PDF and text are).");
        }

        into.Add(media);
        return null;
    }

    private static ClientError? ReadFunctionCall(JsonElement fc, string at, string? signature, List<ContentPart> into, CallBook calls)
    {
        var name = Str(fc, "name");
        if (string.IsNullOrEmpty(name))
        {
            return Invalid($"{at}.functionCall.name", $"* GenerateContentRequest.{at}.functionCall.name: must be a non-empty string.");
        }

        AddSignature(into, signature);
        var args = Get(fc, "args", out var a) ? Compact(a) : "{}";
        into.Add(new ToolCallPart(calls.Called(Str(fc, "id"), name), name, args));
        return null;
    }

    private static ClientError? ReadFunctionResponse(JsonElement fr, string at, List<ContentPart> into, CallBook calls)
    {
        var name = Str(fr, "name");
        if (string.IsNullOrEmpty(name))
        {
            return Invalid($"{at}.functionResponse.name", $"* GenerateContentRequest.{at}.functionResponse.name: must be a non-empty string.");
        }

        var (output, isError) = ToolOutput(fr);
        into.Add(new ToolResultPart(calls.Answered(Str(fr, "id"), name), [new TextPart(output)], isError, name));
        return null;
    }

    /// <summary>
    /// Google documents <c>{"output": ...}</c> and <c>{"error": ...}</c> as the keys of a function response; a
    /// response that is just one of them with a string is that text (an error for "error"). Anything else is
    /// the tool's output as a JSON object, carried as its JSON text (the Gemini writer turns it back into the
    /// object, and wraps plain text as <c>{"output": text}</c>, so both directions round-trip).
    /// </summary>
    private static (string Text, bool IsError) ToolOutput(JsonElement functionResponse)
    {
        if (!Get(functionResponse, "response", out var r))
        {
            return ("{}", false);
        }

        if (r.ValueKind == JsonValueKind.Object && r.EnumerateObject().Count() == 1)
        {
            var only = r.EnumerateObject().First();
            if (only.Value.ValueKind == JsonValueKind.String && only.Name is "output" or "error")
            {
                return (only.Value.GetString()!, only.Name == "error");
            }
        }

        return (Compact(r), false);
    }

    private static void AddSignature(List<ContentPart> into, string? signature)
    {
        if (signature is not null)
        {
            into.Add(new ThinkingPart("", signature));
        }
    }

    /// <summary>Images become image parts, PDF and text documents; audio and video have no canonical form.</summary>
    private static ContentPart? Media(string mime, string? uri, string? data)
    {
        if (mime.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            return new ImagePart(uri, mime, data);
        }

        return mime.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || mime.Equals("application/pdf", StringComparison.OrdinalIgnoreCase)
            ? new DocumentPart(uri, mime, data)
            : null;
    }

    private static ClientError? ReadTools(JsonElement tools, ChatRequest request)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            return Invalid("tools", "* GenerateContentRequest.tools: must be an array.");
        }

        var t = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var at = $"tools[{t++}]";
            foreach (var p in tool.ValueKind == JsonValueKind.Object ? tool.EnumerateObject() : default)
            {
                if (p.Name is not ("functionDeclarations" or "function_declarations"))
                {
                    return Invalid($"{at}.{p.Name}", $"* GenerateContentRequest.{at}: the '{p.Name}' tool runs inside Google and cannot be translated by this gateway; only functionDeclarations can.");
                }

                var d = 0;
                foreach (var fn in p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray() : default)
                {
                    var name = Str(fn, "name");
                    if (string.IsNullOrEmpty(name))
                    {
                        return Invalid($"{at}.functionDeclarations[{d}].name", $"* GenerateContentRequest.{at}.functionDeclarations[{d}].name: must be a non-empty string.");
                    }

                    // parametersJsonSchema is JSON Schema already; parameters is Google's OpenAPI subset.
                    JsonElement? schema = Get(fn, "parametersJsonSchema", "parameters_json_schema", out var js) ? js.Clone()
                        : Get(fn, "parameters", out var ps) ? ToJsonSchema(ps)
                        : null;
                    request.Tools.Add(new ToolDefinition(name, Str(fn, "description"), schema));
                    d++;
                }
            }
        }

        return null;
    }

    private static ClientError? ReadConfig(JsonElement c, ChatRequest request)
    {
        if (c.ValueKind != JsonValueKind.Object)
        {
            return Invalid("generationConfig", "* GenerateContentRequest.generationConfig: must be an object.");
        }

        request.Temperature = Num(c, "temperature", null);
        request.TopP = Num(c, "topP", "top_p");
        request.TopK = (int?)Num(c, "topK", "top_k");
        request.PresencePenalty = Num(c, "presencePenalty", "presence_penalty");
        request.FrequencyPenalty = Num(c, "frequencyPenalty", "frequency_penalty");
        request.MaxTokens = (int?)Num(c, "maxOutputTokens", "max_output_tokens");
        request.N = (int?)Num(c, "candidateCount", "candidate_count");
        request.Seed = (long?)Num(c, "seed", null);
        if (Get(c, "stopSequences", "stop_sequences", out var stop) && stop.ValueKind == JsonValueKind.Array)
        {
            request.Stop.AddRange(stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!));
        }

        var mime = Str(c, "responseMimeType", "response_mime_type");
        if (Get(c, "responseJsonSchema", "response_json_schema", out var jsonSchema) || Get(c, "_responseJsonSchema", out jsonSchema))
        {
            request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "response", jsonSchema.Clone());
        }
        else if (Get(c, "responseSchema", "response_schema", out var schema))
        {
            request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "response", ToJsonSchema(schema));
        }
        else if (mime is "application/json")
        {
            request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonObject);
        }
        else if (mime is not (null or "text/plain"))
        {
            return Invalid("generationConfig.responseMimeType", $"* GenerateContentRequest.generationConfig.response_mime_type: '{mime}' cannot be translated (text/plain and application/json can).");
        }

        if (Get(c, "thinkingConfig", "thinking_config", out var thinking))
        {
            // thinkingBudget: 0 turns thinking off (kept as budget 0, "minimal" effort for effort-only targets),
            // -1 or absent lets the model decide; thinkingLevel is Gemini 3's effort. Thoughts are only
            // returned when includeThoughts is true (Google's default is false).
            var budget = (int?)Num(thinking, "thinkingBudget", "thinking_budget");
            var level = Str(thinking, "thinkingLevel", "thinking_level")?.ToLowerInvariant();
            var include = Get(thinking, "includeThoughts", "include_thoughts", out var inc) && inc.ValueKind == JsonValueKind.True;
            request.Reasoning = budget switch
            {
                0 => new ReasoningConfig("minimal", 0, include),
                < 0 => new ReasoningConfig(level, null, include),
                _ => new ReasoningConfig(level, budget, include),
            };
        }

        return null;
    }

    private static double? Num(JsonElement e, string camel, string? snake) =>
        Get(e, camel, snake, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static ClientError Invalid(string param, string message) =>
        new(400, ErrorCategory.InvalidRequest, message, param, "invalid_value");

    /// <summary>Pairs function calls and responses of one conversation and gives id-less calls stable ids.</summary>
    private sealed class CallBook
    {
        private readonly List<(string Id, string Name)> open = [];
        private int count;

        public string Called(string? id, string name)
        {
            id ??= $"call_{count}";
            count++;
            open.Add((id, name));
            return id;
        }

        public string Answered(string? id, string name)
        {
            var i = id is not null ? open.FindIndex(c => c.Id == id) : open.FindIndex(c => c.Name == name);
            if (i < 0)
            {
                return id ?? $"call_{name}";
            }

            var found = open[i].Id;
            open.RemoveAt(i);
            return found;
        }
    }
}

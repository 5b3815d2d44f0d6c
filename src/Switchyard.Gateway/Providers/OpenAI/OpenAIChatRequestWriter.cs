using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>Canonical <see cref="ChatRequest"/> → OpenAI Chat Completions request JSON (for non-OpenAI clients routed to the OpenAI family).</summary>
public static class OpenAIChatRequestWriter
{
    /// <summary>Writes the request with <paramref name="model"/> as the upstream model. Thinking parts and cache
    /// hints have no OpenAI Chat equivalent: they are listed in <paramref name="dropped"/> (not an error: both are
    /// hints, and OpenAI caches prompts automatically).</summary>
    public static void Write(Utf8JsonWriter w, ChatRequest r, string model, List<string> dropped)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        WriteMessages(w, r, dropped);
        WriteTools(w, r);
        WriteSampling(w, r, dropped);
        WriteResponseFormat(w, r.ResponseFormat);
        if (r.Reasoning is { } reasoning)
        {
            w.WriteString("reasoning_effort", reasoning.EffortOrDefault());
        }

        if (r.User is not null)
        {
            w.WriteString("user", r.User);
        }

        if (r.Stream)
        {
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteMessages(Utf8JsonWriter w, ChatRequest r, List<string> dropped)
    {
        w.WriteStartArray("messages");
        if (r.System.Count > 0)
        {
            w.WriteStartObject();
            w.WriteString("role", "system");
            WriteContent(w, r.System, dropped, separator: "\n\n"); // separate system blocks/messages must not run together
            w.WriteEndObject();
        }

        foreach (var m in r.Messages)
        {
            WriteMessage(w, m, dropped);
        }

        w.WriteEndArray();
    }

    /// <summary><c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c> (only meaningful with tools).</summary>
    private static void WriteTools(Utf8JsonWriter w, ChatRequest r)
    {
        if (r.Tools.Count > 0)
        {
            w.WriteStartArray("tools");
            foreach (var t in r.Tools)
            {
                WriteTool(w, t);
            }

            w.WriteEndArray();
        }

        if (r.ToolChoice is { } tc)
        {
            if (tc.Kind == ToolChoiceKind.Function)
            {
                w.WriteStartObject("tool_choice");
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", tc.FunctionName);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("tool_choice", tc.Kind switch { ToolChoiceKind.None => "none", ToolChoiceKind.Required => "required", _ => "auto" });
            }
        }

        if (r.ParallelToolCalls is { } ptc && r.Tools.Count > 0)
        {
            w.WriteBoolean("parallel_tool_calls", ptc);
        }
    }

    private static void WriteTool(Utf8JsonWriter w, ToolDefinition t)
    {
        w.WriteStartObject();
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", t.Name);
        if (t.Description is not null)
        {
            w.WriteString("description", t.Description);
        }

        if (t.Parameters is { } p)
        {
            w.WritePropertyName("parameters");
            p.WriteTo(w);
        }

        if (t.Strict is { } strict)
        {
            w.WriteBoolean("strict", strict);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Output cap and sampling parameters; <c>top_k</c> has no OpenAI equivalent and is dropped.</summary>
    private static void WriteSampling(Utf8JsonWriter w, ChatRequest r, List<string> dropped)
    {
        if (r.MaxTokens is { } max)
        {
            w.WriteNumber("max_completion_tokens", max);
        }

        Opt(w, "temperature", r.Temperature);
        Opt(w, "top_p", r.TopP);
        Opt(w, "presence_penalty", r.PresencePenalty);
        Opt(w, "frequency_penalty", r.FrequencyPenalty);
        if (r.Seed is { } seed)
        {
            w.WriteNumber("seed", seed);
        }

        if (r.N is { } n)
        {
            w.WriteNumber("n", n);
        }

        if (r.TopK is not null)
        {
            dropped.Add("top_k");
        }

        if (r.Stop.Count > 0)
        {
            w.WriteStartArray("stop");
            r.Stop.ForEach(w.WriteStringValue);
            w.WriteEndArray();
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter w, ResponseFormat? rf)
    {
        if (rf is null || rf.Kind == ResponseFormatKind.Text)
        {
            return;
        }

        w.WriteStartObject("response_format");
        if (rf.Kind == ResponseFormatKind.JsonObject)
        {
            w.WriteString("type", "json_object");
        }
        else
        {
            w.WriteString("type", "json_schema");
            w.WriteStartObject("json_schema");
            w.WriteString("name", rf.Name ?? "response");
            if (rf.Schema is { } schema)
            {
                w.WritePropertyName("schema");
                schema.WriteTo(w);
            }

            if (rf.Strict is { } strict)
            {
                w.WriteBoolean("strict", strict);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter w, Message m, List<string> dropped)
    {
        if (m.Role == Role.User)
        {
            // Tool results become one "tool" message each; the rest stays a user message, in order.
            var pending = new List<ContentPart>();
            foreach (var part in m.Content)
            {
                if (part is ToolResultPart result)
                {
                    Flush(w, "user", pending, m.Name, dropped);
                    w.WriteStartObject();
                    w.WriteString("role", "tool");
                    w.WriteString("tool_call_id", result.ToolCallId);
                    w.WriteString("content", result.IsError ? "[tool error] " + Text(result.Content) : Text(result.Content));
                    w.WriteEndObject();
                }
                else
                {
                    pending.Add(part);
                }
            }

            Flush(w, "user", pending, m.Name, dropped);
            return;
        }

        w.WriteStartObject();
        w.WriteString("role", "assistant");
        if (m.Name is not null)
        {
            w.WriteString("name", m.Name);
        }

        var text = m.Content.OfType<TextPart>().ToList();
        if (text.Count > 0)
        {
            w.WriteString("content", string.Concat(text.Select(t => t.Text)));
        }
        else
        {
            w.WriteNull("content");
        }

        if (m.Content.OfType<ThinkingPart>().Any())
        {
            dropped.Add("thinking");
        }

        OpenAIChatResponses.WriteToolCalls(w, m.Content.OfType<ToolCallPart>().ToList());

        w.WriteEndObject();
    }

    private static void Flush(Utf8JsonWriter w, string role, List<ContentPart> parts, string? name, List<string> dropped)
    {
        if (parts.Count == 0)
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("role", role);
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        WriteContent(w, parts, dropped);
        w.WriteEndObject();
        parts.Clear();
    }

    /// <summary>Plain text stays a string (widest compatibility); anything else becomes an array of parts.</summary>
    private static void WriteContent(Utf8JsonWriter w, IReadOnlyList<ContentPart> parts, List<string> dropped, string separator = "")
    {
        if (parts.Any(p => p.Cache is not null) && !dropped.Contains("cache_control"))
        {
            dropped.Add("cache_control");
        }

        if (parts.All(p => p is TextPart))
        {
            w.WriteString("content", string.Join(separator, parts.Cast<TextPart>().Select(t => t.Text)));
            return;
        }

        w.WriteStartArray("content");
        foreach (var part in parts)
        {
            WritePart(w, part, dropped);
        }

        w.WriteEndArray();
    }

    private static void WritePart(Utf8JsonWriter w, ContentPart part, List<string> dropped)
    {
        switch (part)
        {
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                w.WriteEndObject();
                break;
            case ImagePart i:
                w.WriteStartObject();
                w.WriteString("type", "image_url");
                w.WriteStartObject("image_url");
                w.WriteString("url", i.AsUrl());
                if (i.Detail is not null)
                {
                    w.WriteString("detail", i.Detail);
                }

                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case DocumentPart { MediaType: "text/plain", Data: { } text }:
                // OpenAI Chat has no text-document part: a plain-text document travels as text.
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", DecodeText(text));
                w.WriteEndObject();
                break;
            case DocumentPart d when d.Data is not null:
                w.WriteStartObject();
                w.WriteString("type", "file");
                w.WriteStartObject("file");
                w.WriteString("filename", d.Title ?? "document.pdf");
                w.WriteString("file_data", $"data:{d.MediaType ?? "application/pdf"};base64,{d.Data}");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case DocumentPart:
                throw new UnsupportedFeatureException("document", "OpenAI Chat accepts documents only as inline data, not URLs");
            case ThinkingPart:
                dropped.Add("thinking");
                break;
        }
    }

    /// <summary>A text document's content: canonical documents carry base64; a document that is not base64 is already text.</summary>
    private static string DecodeText(string data)
    {
        var bytes = new byte[data.Length];
        return Convert.TryFromBase64String(data, bytes, out var n) ? System.Text.Encoding.UTF8.GetString(bytes, 0, n) : data;
    }

    /// <summary>Text of tool-result content (OpenAI tool messages take a string).</summary>
    internal static string Text(IReadOnlyList<ContentPart> parts) =>
        string.Concat(parts.Select(p => p switch
        {
            TextPart t => t.Text,
            _ => throw new UnsupportedFeatureException("tool_result.content", "OpenAI tool messages carry text only"),
        }));

    private static void Opt(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// Items and answers as the gateway keeps them: the JSON a later <c>item_reference</c>, <c>previous_response_id</c>
/// or <c>GET /v1/responses/{id}/input_items</c> gets back. Input items keep the client's own members, with an id
/// (the client's, else one the gateway makes from the response id) and a type first; output items and the
/// response object are rendered exactly as the client received them, so the ids stored are the ids it holds.
/// </summary>
internal static class ResponsesStoredItems
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A string <c>input</c> as the user message item it stands for.</summary>
    public static StoredItem UserText(string text, string responseId)
    {
        var id = InputId("message", responseId, 0);
        return new StoredItem(id, Render(w =>
        {
            w.WriteString("id", id);
            w.WriteString("type", "message");
            w.WriteString("role", "user");
            w.WriteStartArray("content");
            TextPart(w, "input_text", text);
            w.WriteEndArray();
        }));
    }

    /// <summary>An input item the client sent, as kept: id and type first, a message's string content as a content list.</summary>
    public static StoredItem Input(JsonElement item, string responseId, int index)
    {
        var type = OpenAIChatRequestReader.Str(item, "type") ?? "message";
        var id = OpenAIChatRequestReader.Str(item, "id") is { Length: > 0 } own ? own : InputId(type, responseId, index);
        return new StoredItem(id, Render(w =>
        {
            w.WriteString("id", id);
            w.WriteString("type", type);
            foreach (var member in item.EnumerateObject())
            {
                if (member.NameEquals("id") || member.NameEquals("type"))
                {
                    continue;
                }

                if (type == "message" && member.NameEquals("content") && member.Value.ValueKind == JsonValueKind.String)
                {
                    w.WriteStartArray("content");
                    TextPart(w, OpenAIChatRequestReader.Str(item, "role") == "assistant" ? "output_text" : "input_text", member.Value.GetString()!);
                    w.WriteEndArray();
                    continue;
                }

                member.WriteTo(w);
            }
        }));
    }

    /// <summary>A complete answer as kept: the response object and each output item, as the client received them.</summary>
    public static StoredAnswer Answer(in ResponseHeader header, in ResponseOutcome outcome, IReadOnlyList<OutputItem> output, TokenUsage? usage)
    {
        var h = header;
        var o = outcome;
        var json = Render(w => ResponsesObjectWriter.WriteResponse(w, h, o, output, usage), wrap: false);
        var items = new StoredItem[output.Count];
        for (var i = 0; i < output.Count; i++)
        {
            var item = output[i];
            items[i] = new StoredItem(item.Id, Render(w => ResponsesObjectWriter.WriteItem(w, item), wrap: false));
        }

        return new StoredAnswer(outcome.Status, json, items);
    }

    /// <summary>An id for an input item the client sent without one: a type prefix, the response's id, the item's position.</summary>
    private static string InputId(string type, string responseId, int index) =>
        (type switch { "message" => "msg_", "function_call" => "fc_", "function_call_output" => "fco_", "reasoning" => "rs_", _ => "item_" })
        + responseId["resp_".Length..] + "_in" + index.ToString(CultureInfo.InvariantCulture);

    private static void TextPart(Utf8JsonWriter w, string type, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    /// <summary>Renders to a string; <paramref name="wrap"/> puts the members inside an object.</summary>
    private static string Render(Action<Utf8JsonWriter> write, bool wrap = true)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            if (wrap)
            {
                w.WriteStartObject();
            }

            write(w);
            if (wrap)
            {
                w.WriteEndObject();
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>Kinds of Responses output items the gateway produces.</summary>
internal enum OutputItemKind
{
    Message,
    FunctionCall,
    Reasoning,
}

/// <summary>
/// One output item while it is built (streamed or whole). Mutable because a stream fills it delta by delta;
/// the same shape renders the whole answer, the streamed items and the final response object.
/// </summary>
internal sealed class OutputItem(OutputItemKind kind, string id)
{
    public OutputItemKind Kind { get; } = kind;
    public string Id { get; } = id;

    /// <summary>Message text, function arguments or reasoning text.</summary>
    public StringBuilder Text { get; } = new();

    public string? Refusal { get; set; }
    public string? CallId { get; init; }
    public string? Name { get; init; }

    /// <summary>Opaque reasoning payload (a canonical thinking signature) the client sends back unchanged.</summary>
    public string? EncryptedContent { get; set; }

    /// <summary>completed, or in_progress / incomplete while or when a stream ended mid-item.</summary>
    public string Status { get; set; } = "completed";
}

/// <summary>How a response ended, in Responses terms.</summary>
internal readonly record struct ResponseOutcome(string Status, string? IncompleteReason = null, ClientError? Error = null)
{
    public static ResponseOutcome From(FinishReason finish) => finish switch
    {
        FinishReason.Length => new("incomplete", "max_output_tokens"),
        FinishReason.ContentFilter => new("incomplete", "content_filter"),
        FinishReason.Error => new("failed", null, new ClientError(502, ErrorCategory.ServerError, "The upstream model ended the response with an error.", null, "server_error")),
        _ => new("completed"),
    };

    /// <summary>The terminal stream event for this outcome.</summary>
    public string EventType => Status switch
    {
        "incomplete" => "response.incomplete",
        "failed" => "response.failed",
        _ => "response.completed",
    };
}

/// <summary>
/// What the response object says about itself besides its outcome and output: its id and creation time, the
/// model, and, when the gateway keeps state for it (<paramref name="Turn"/>), whether it is stored and what it
/// continues. Without a turn (a format used on its own) it says <c>"store": false</c>, as nothing is kept.
/// </summary>
internal readonly record struct ResponseHeader(string Id, long CreatedAt, string Model, ConversationTurn? Turn = null);

/// <summary>
/// Writes the Responses <c>response</c> object and its output items. The object carries what the gateway
/// knows about the answer (id, status, output, usage); request parameters are not echoed because the
/// whole-answer path renders from the canonical response alone, and both paths must agree. <c>store</c> says
/// whether the gateway keeps the response (Conversations stage), and <c>previous_response_id</c> what it continues.
/// </summary>
internal static class ResponsesObjectWriter
{
    /// <summary>The response id for an upstream answer id: <c>resp_</c> + the id without its Chat prefix.</summary>
    public static string ResponseId(string? upstreamId, long created)
    {
        var core = upstreamId ?? "";
        foreach (var prefix in (ReadOnlySpan<string>)["chatcmpl-", "chatcmpl_", "resp_", "msg_"])
        {
            if (core.StartsWith(prefix, StringComparison.Ordinal))
            {
                core = core[prefix.Length..];
                break;
            }
        }

        return "resp_" + (core.Length > 0 ? core : "switchyard" + created.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>An item id unique within the response and stable across its events, e.g. <c>fc_abc_1</c>.</summary>
    public static string ItemId(OutputItemKind kind, string responseId, int outputIndex) =>
        (kind switch { OutputItemKind.Message => "msg_", OutputItemKind.FunctionCall => "fc_", _ => "rs_" })
        + responseId["resp_".Length..] + "_" + outputIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Writes the whole response object.</summary>
    public static void WriteResponse(Utf8JsonWriter w, in ResponseHeader header, in ResponseOutcome outcome,
        IReadOnlyList<OutputItem> output, in TokenUsage? usage)
    {
        w.WriteStartObject();
        w.WriteString("id", header.Id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", header.CreatedAt);
        w.WriteString("status", outcome.Status);
        w.WriteBoolean("background", false);
        if (outcome.Error is { } error)
        {
            w.WriteStartObject("error");
            w.WriteString("code", error.Category == ErrorCategory.RateLimited ? "rate_limit_exceeded" : "server_error");
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }

        if (outcome.IncompleteReason is { } reason)
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        w.WriteString("model", header.Model);
        w.WriteStartArray("output");
        foreach (var item in output)
        {
            WriteItem(w, item);
        }

        w.WriteEndArray();
        if (header.Turn is { } turn)
        {
            w.WriteString("previous_response_id", turn.PreviousResponseId);
        }

        w.WriteBoolean("store", header.Turn?.Store == true);
        if (usage is { } u)
        {
            WriteUsage(w, u);
        }
        else
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    }

    /// <summary>Writes one output item as it stands; <paramref name="added"/> writes the empty shell a stream opens it with.</summary>
    public static void WriteItem(Utf8JsonWriter w, OutputItem item, bool added = false)
    {
        w.WriteStartObject();
        w.WriteString("id", item.Id);
        switch (item.Kind)
        {
            case OutputItemKind.Message:
                w.WriteString("type", "message");
                w.WriteString("status", item.Status);
                w.WriteString("role", "assistant");
                w.WriteStartArray("content");
                if (added)
                {
                    w.WriteEndArray();
                    break;
                }

                if (item.Text.Length > 0 || item.Refusal is null)
                {
                    WriteTextPart(w, item.Text.ToString());
                }

                if (item.Refusal is { } refusal)
                {
                    w.WriteStartObject();
                    w.WriteString("type", "refusal");
                    w.WriteString("refusal", refusal);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case OutputItemKind.FunctionCall:
                w.WriteString("type", "function_call");
                w.WriteString("status", item.Status);
                w.WriteString("call_id", item.CallId);
                w.WriteString("name", item.Name);
                w.WriteString("arguments", item.Text.ToString());
                break;
            default:
                w.WriteString("type", "reasoning");
                w.WriteStartArray("summary");
                w.WriteEndArray();
                w.WriteStartArray("content");
                if (!added)
                {
                    WriteReasoningPart(w, item.Text.ToString());
                }

                w.WriteEndArray();
                if (item.EncryptedContent is { } encrypted)
                {
                    w.WriteString("encrypted_content", encrypted);
                }

                break;
        }

        w.WriteEndObject();
    }

    /// <summary>An <c>output_text</c> content part.</summary>
    public static void WriteTextPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteString("text", text);
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A <c>reasoning_text</c> content part.</summary>
    public static void WriteReasoningPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "reasoning_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    /// <summary>Canonical usage as the Responses <c>usage</c> member.</summary>
    public static void WriteUsage(Utf8JsonWriter w, in TokenUsage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", u.InputTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", u.CacheReadTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", u.OutputTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", u.ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteEndObject();
    }

    /// <summary>Canonical answer → output items, in the order the model produced them (reasoning, text, calls).</summary>
    public static List<OutputItem> Items(ChatResponse r, string responseId)
    {
        var items = new List<OutputItem>();
        OutputItem Add(OutputItemKind kind, string? callId = null, string? name = null)
        {
            var item = new OutputItem(kind, ItemId(kind, responseId, items.Count)) { CallId = callId, Name = name };
            items.Add(item);
            return item;
        }

        OutputItem? message = null;
        foreach (var part in r.Content)
        {
            switch (part)
            {
                case ThinkingPart t when t.Text.Length > 0 || t.Signature is not null:
                    var reasoning = Add(OutputItemKind.Reasoning);
                    reasoning.Text.Append(t.Text);
                    reasoning.EncryptedContent = t.Signature;
                    message = null;
                    break;
                case TextPart t:
                    (message ??= Add(OutputItemKind.Message)).Text.Append(t.Text);
                    break;
                case ToolCallPart c:
                    Add(OutputItemKind.FunctionCall, CallId(c.Id, responseId, items.Count), c.Name).Text.Append(c.Arguments);
                    message = null;
                    break;
            }
        }

        if (r.Refusal is { } refusal)
        {
            (message ?? Add(OutputItemKind.Message)).Refusal = refusal;
        }

        return items;
    }

    /// <summary>The client's call id: the canonical one, or a made-up one when the upstream gave none.</summary>
    public static string CallId(string? canonicalId, string responseId, int outputIndex) =>
        canonicalId is { Length: > 0 } id ? id : "call_" + responseId["resp_".Length..] + "_" + outputIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Writes an OpenAI error envelope (also what a Responses client parses for HTTP errors).</summary>
    public static void WriteError(System.Buffers.IBufferWriter<byte> output, in ClientError error) =>
        OpenAIErrors.Write(output, error.Message, OpenAIChatFormat.TypeOf(error.Category), error.Param, error.Code);
}

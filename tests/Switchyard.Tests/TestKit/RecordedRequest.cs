using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// One request as the fake upstream received it: what the gateway actually put on the wire (headers incl.
/// <c>Authorization</c>, raw body, parsed body) plus what the fake did with it.
/// </summary>
public sealed class RecordedRequest
{
    private int _aborted;

    internal RecordedRequest(
        int sequence,
        string requestId,
        string method,
        string path,
        string queryString,
        IReadOnlyDictionary<string, string> headers,
        string body,
        DateTimeOffset timestamp,
        UpstreamEndpoint? endpoint,
        UpstreamBehavior? behavior)
    {
        Sequence = sequence;
        RequestId = requestId;
        Method = method;
        Path = path;
        QueryString = queryString;
        Headers = headers;
        Body = body;
        Timestamp = timestamp;
        Endpoint = endpoint;
        Behavior = behavior;
        Json = TryParse(body);

        // Derived eagerly so behaviours running on the server thread never touch the JsonNode a test may read concurrently.
        Model = StringProperty(Json, "model");
        IsStream = BoolProperty(Json, "stream");
        IncludeUsage = BoolProperty(Json?["stream_options"], "include_usage");
    }

    /// <summary>1-based arrival order (across all endpoints) since start or the last <see cref="FakeOpenAIUpstream.Reset"/>.</summary>
    public int Sequence { get; }

    /// <summary>The <c>x-request-id</c> the fake answered with.</summary>
    public string RequestId { get; }

    /// <summary>HTTP method, e.g. <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Request path, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>Query string including the leading <c>?</c>, or empty.</summary>
    public string QueryString { get; }

    /// <summary>Request headers (case-insensitive names; repeated headers joined with <c>", "</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The raw request body (UTF-8 decoded); empty when there was none.</summary>
    public string Body { get; }

    /// <summary>The body parsed as JSON, or null when it is empty or not valid JSON.</summary>
    public JsonNode? Json { get; }

    /// <summary>When the fake received the request (according to its <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The endpoint the request matched, or null for an unknown route (answered 404).</summary>
    public UpstreamEndpoint? Endpoint { get; }

    /// <summary>The behaviour the fake applied, or null for an unknown route.</summary>
    public UpstreamBehavior? Behavior { get; }

    /// <summary>The body's <c>model</c> string, if any.</summary>
    public string? Model { get; }

    /// <summary>True when the body has <c>"stream": true</c>.</summary>
    public bool IsStream { get; }

    /// <summary>True when the body has <c>"stream_options": {"include_usage": true}</c>.</summary>
    public bool IncludeUsage { get; }

    /// <summary>The <c>Authorization</c> header, if sent.</summary>
    public string? Authorization => Header("Authorization");

    /// <summary>The token of a <c>Bearer</c> <c>Authorization</c> header, if sent.</summary>
    public string? BearerToken =>
        Authorization is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : null;

    /// <summary>True when the client went away (connection closed / request aborted) before the fake finished responding.</summary>
    public bool WasAborted => Volatile.Read(ref _aborted) == 1;

    /// <summary>A header's value, or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Method} {Path}{QueryString} model={Model ?? "-"} stream={IsStream}";

    internal void MarkAborted() => Volatile.Write(ref _aborted, 1);

    private static JsonNode? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? StringProperty(JsonNode? node, string name) =>
        node is JsonObject obj && obj[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool BoolProperty(JsonNode? node, string name) =>
        node is JsonObject obj && obj[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}

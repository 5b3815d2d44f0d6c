#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Responses;
using Switchyard.Conversations;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Responses;

/// <summary>
/// A real gateway (Kestrel, SQLite) for the Responses state tests: <c>gpt</c> served by a fake OpenAI upstream
/// (an OpenAI-family deployment) and <c>claude</c> by a fake Anthropic one (translated), two client keys
/// (<c>app</c> and <c>ops</c>) and the official SDK's Responses client for either key.
/// </summary>
internal sealed class ResponsesStateHarness : IAsyncDisposable
{
    private ResponsesStateHarness(GatewayHarness gateway, FakeAnthropicUpstream anthropic)
    {
        Gateway = gateway;
        Anthropic = anthropic;
    }

    public GatewayHarness Gateway { get; }

    public FakeAnthropicUpstream Anthropic { get; }

    /// <summary>The gateway's response state (its store and write queue).</summary>
    public ResponseState State => (ResponseState)Gateway.Gateway.Services.GetService(typeof(ResponseState))!;

    /// <summary>Starts the fakes and a gateway; <paramref name="responses"/> is YAML for the <c>responses:</c> block.</summary>
    public static async Task<ResponsesStateHarness> StartAsync(string? responses = null, TimeProvider? time = null)
    {
        var anthropic = await FakeAnthropicUpstream.StartAsync();
        var yaml = GatewayHarness.Preamble + $$"""
              anth:
                kind: anthropic
                base_url: "{{anthropic.BaseUrl}}"
                api_key: ${UP_KEY}
            deployments:
              gpt-d: { provider: up-a, model: gpt-upstream }
              claude-d: { provider: anth, model: claude-upstream }
            models:
              gpt: gpt-d
              claude: claude-d
            {{(responses is null ? "" : "responses: " + responses)}}
            """;
        try
        {
            return new ResponsesStateHarness(await GatewayHarness.StartAsync(yaml, time: time), anthropic);
        }
        catch
        {
            await anthropic.DisposeAsync();
            throw;
        }
    }

    /// <summary>The SDK's Responses client with <paramref name="key"/>, without retries.</summary>
    public ResponsesClient Client(string key = GatewayHarness.ClientKey) =>
        new(new ApiKeyCredential(key), new ResponsesClientOptions
        {
            Endpoint = Gateway.ApiBase,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = GatewayHarness.Bound,
        });

    /// <summary>Scripts the next answer of the upstream behind <paramref name="alias"/>.</summary>
    public void Reply(string alias, string text)
    {
        if (alias == "claude")
        {
            Anthropic.Enqueue(AnthropicBehavior.Text(text));
        }
        else
        {
            Gateway.A.Enqueue(UpstreamBehavior.Text(text));
        }
    }

    /// <summary>The conversation the upstream behind <paramref name="alias"/> last received, one "role: text" line per message.</summary>
    public IReadOnlyList<string> LastTranscript(string alias) =>
        alias == "claude"
            ? Transcript(Anthropic.LastRequest!.Json!["messages"]!.AsArray())
            : Transcript(Gateway.A.LastRequest!.Json!["messages"]!.AsArray());

    /// <summary>How many model calls the upstream behind <paramref name="alias"/> has had.</summary>
    public int UpstreamCalls(string alias) => alias == "claude" ? Anthropic.Requests.Count : Gateway.A.RequestCount;

    /// <summary>Sends <paramref name="method"/> to <paramref name="path"/> with <paramref name="key"/>; returns status and parsed body.</summary>
    public async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null, string key = GatewayHarness.ClientKey)
    {
        using var request = json is null ? new HttpRequestMessage(method, Gateway.Url(path)) : Gateway.Post(path, json, key);
        request.Method = method;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Gateway.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return ((int)response.StatusCode, doc.RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Anthropic.DisposeAsync();
    }

    /// <summary>OpenAI Chat or Anthropic messages as "role: text" lines; tool calls and results are named in brackets.</summary>
    private static List<string> Transcript(JsonArray messages) =>
        messages.Select(m => $"{(string?)m!["role"]}: {Text(m["content"])}{Calls(m["tool_calls"])}{(m["tool_call_id"] is { } id ? $" [result of {id}]" : "")}").ToList();

    private static string Text(JsonNode? content) => content switch
    {
        JsonValue v => (string)v!,
        JsonArray parts => string.Join(" ", parts.Select(p => (string?)p!["type"] switch
        {
            "text" => (string?)p["text"],
            "tool_use" => $"[call {(string?)p["name"]}]",
            "tool_result" => $"[result of {(string?)p["tool_use_id"]}: {Text(p["content"])}]",
            _ => (string?)p["text"],
        })),
        _ => "",
    };

    private static string Calls(JsonNode? calls) =>
        calls is JsonArray list ? string.Concat(list.Select(c => $"[call {(string?)c!["function"]!["name"]}]")) : "";
}

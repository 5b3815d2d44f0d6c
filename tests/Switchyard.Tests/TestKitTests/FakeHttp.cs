using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>Plain-HttpClient plumbing for the self-tests, so they check the raw wire rather than an SDK's view of it.</summary>
internal static class FakeHttp
{
    public const string ApiKey = "sk-test-123";

    /// <summary>Generous bound so a broken fake fails the test instead of hanging it; never used for timing assertions.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    public static HttpClient NewClient() => new() { Timeout = Bound };

    public static JsonObject ChatBody(bool stream = false, bool includeUsage = false, string model = "gpt-4o-mini")
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello" }),
        };
        if (stream)
        {
            body["stream"] = true;
        }

        if (includeUsage)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body;
    }

    public static HttpRequestMessage Post(FakeOpenAIUpstream fake, string path, JsonNode body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, fake.UrlFor(path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return request;
    }

    public static Task<HttpResponseMessage> PostChatAsync(
        HttpClient client,
        FakeOpenAIUpstream fake,
        JsonObject body,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default) =>
        client.SendAsync(Post(fake, "chat/completions", body), completion, cancellationToken);

    public static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>The JSON chunks of a finished stream (everything but <c>[DONE]</c>).</summary>
    public static List<JsonObject> Chunks(IEnumerable<SseEvent> events) =>
        events.Where(e => !e.IsDone).Select(e => e.Json!.AsObject()).ToList();

    public static string ContentOf(IEnumerable<JsonObject> chunks) => string.Concat(chunks
        .Where(c => c["choices"]!.AsArray().Count > 0)
        .Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));
}

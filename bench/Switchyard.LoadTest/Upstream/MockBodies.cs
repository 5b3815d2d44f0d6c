using System.Globalization;
using System.Text;

namespace Switchyard.LoadTest.Upstream;

/// <summary>
/// The fake upstream's response bodies, built once at start-up as UTF-8 bytes. They are shaped like real
/// OpenAI responses (ids, fingerprints, usage with token details) so a gateway that parses them for usage
/// accounting does its real work.
/// </summary>
public static class MockBodies
{
    private const string Id = "chatcmpl-SWYDLOADTEST0001";
    private const long Created = 1767225600;
    private const string Model = "gpt-4o-mini-2024-07-18";
    private const string Fingerprint = "fp_5f1c3a9e2b";

    /// <summary>The assistant answer, split as a tokenizer would stream it.</summary>
    private static readonly string[] Tokens =
    [
        "Reusing", " keep-alive", " connections", " skips", " TCP", " and", " TLS", " handshakes", " and", " cuts",
        " per-request", " latency", ".",
    ];

    /// <summary>Non-streaming <c>chat.completion</c> with usage (about 900 bytes).</summary>
    public static readonly byte[] ChatCompletion = Encoding.UTF8.GetBytes(Fill(
        """{"id":"@ID@","object":"chat.completion","created":@CREATED@,"model":"@MODEL@","choices":[{"index":0,"message":{"role":"assistant","content":"Reusing keep-alive connections skips the TCP and TLS handshakes, cutting latency and CPU per request. It also keeps the gateway from exhausting ephemeral ports and file descriptors when traffic spikes, because sockets are opened once and shared across many requests.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":41,"completion_tokens":49,"total_tokens":90,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"@FP@"}"""));

    /// <summary>The SSE events of a streamed completion, one array entry per event (role chunk, one chunk per
    /// token, finish chunk, the usage-only chunk with <c>choices: []</c>, then <c>[DONE]</c>).</summary>
    public static readonly byte[][] SseEvents = BuildSseEvents();

    /// <summary>All <see cref="SseEvents"/> concatenated (16 chunk events plus [DONE], about 4.5 KB), for sending in one write.</summary>
    public static readonly byte[] SseBody = SseEvents.SelectMany(e => e).ToArray();

    /// <summary><c>/v1/embeddings</c> answer: one 1,536-dimension vector (the size text-embedding-3-small
    /// returns, ~17 KB of JSON) with usage.</summary>
    public static readonly byte[] Embeddings = BuildEmbeddings();

    /// <summary><c>GET /v1/models</c> answer.</summary>
    public static readonly byte[] Models = Encoding.UTF8.GetBytes(
        """{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}""");

    /// <summary>404 body in OpenAI's error shape.</summary>
    public static readonly byte[] NotFound = Encoding.UTF8.GetBytes(
        """{"error":{"message":"Unknown route on the load-test upstream.","type":"invalid_request_error","param":null,"code":"not_found"}}""");

    private static byte[][] BuildSseEvents()
    {
        const string chunk =
            """data: {"id":"@ID@","object":"chat.completion.chunk","created":@CREATED@,"model":"@MODEL@","system_fingerprint":"@FP@","choices":@CHOICES@,"usage":@USAGE@}""";
        const string choice = """[{"index":0,"delta":@DELTA@,"logprobs":null,"finish_reason":@FINISH@}]""";
        string Event(string delta, string finish) =>
            chunk.Replace("@CHOICES@", choice.Replace("@DELTA@", delta).Replace("@FINISH@", finish)).Replace("@USAGE@", "null");

        var events = new List<string> { Event("""{"role":"assistant","content":"","refusal":null}""", "null") };
        foreach (var t in Tokens) events.Add(Event("""{"content":"@T@"}""".Replace("@T@", t), "null"));
        events.Add(Event("{}", "\"stop\""));
        var usage = """{"prompt_tokens":43,"completion_tokens":@N@,"total_tokens":@T@,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}"""
            .Replace("@N@", Tokens.Length.ToString(CultureInfo.InvariantCulture))
            .Replace("@T@", (43 + Tokens.Length).ToString(CultureInfo.InvariantCulture));
        events.Add(chunk.Replace("@CHOICES@", "[]").Replace("@USAGE@", usage)); // usage-only chunk (include_usage)
        events.Add("data: [DONE]");
        return events.Select(e => Encoding.UTF8.GetBytes(Fill(e) + "\n\n")).ToArray();
    }

    private static string Fill(string template) => template
        .Replace("@ID@", Id).Replace("@CREATED@", Created.ToString(CultureInfo.InvariantCulture))
        .Replace("@MODEL@", Model).Replace("@FP@", Fingerprint);

    private static byte[] BuildEmbeddings()
    {
        var sb = new StringBuilder("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[""", 20_000);
        var rng = new Random(1536); // fixed seed: the same bytes on every run
        for (var i = 0; i < 1536; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(((rng.NextDouble() - 0.5) * 0.12).ToString("0.#########", CultureInfo.InvariantCulture));
        }
        sb.Append("""]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":9,"total_tokens":9}}""");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}

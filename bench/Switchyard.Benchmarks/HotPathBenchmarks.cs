using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Configuration;
using Switchyard.Canonical;
using Switchyard.Dispatch;
using Switchyard.Ingress;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Benchmarks;

/// <summary>
/// The per-request work of the OpenAI passthrough path, stage by stage: parse the body's routing fields,
/// splice the upstream body, authenticate, relay a stream's events while metering usage. Budget: parse,
/// auth and relay allocate nothing per call (the rewrite's buffer is pooled and returned here).
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private byte[] chatBody = [];
    private byte[] streamBody = [];
    private byte[] sse = [];
    private byte[] encodedModel = [];
    private KeyStore keys = null!;
    private HeaderDictionary headers = null!;
    private ArrayBufferWriter<byte> sink = null!;
    private readonly OpenAIPassthrough passthrough = new();

    [GlobalSetup]
    public void Setup()
    {
        // The same 290-byte request the shared peer benchmark sends.
        chatBody = Encoding.UTF8.GetBytes("""
            {"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one sentence about the sea. Keep it short and concrete, please."}],"temperature":0.2,"max_tokens":64,"user":"bench-user-0001"}
            """);
        streamBody = Encoding.UTF8.GetBytes("""
            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write one sentence about the sea."}],"stream":true,"max_tokens":64}
            """);
        encodedModel = Encoding.UTF8.GetBytes("\"gpt-4o-mini-2024-07-18\"");
        var sb = new StringBuilder();
        sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n");
        for (var i = 0; i < 14; i++)
        {
            sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},\"finish_reason\":null}],\"usage\":null}\n\n");
        }

        sb.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":14,\"total_tokens\":34}}\n\n");
        sb.Append("data: [DONE]\n\n");
        sse = Encoding.UTF8.GetBytes(sb.ToString());
        var hash = new byte[32];
        KeyAuthenticator.HashKey("sk-bench", hash);
        keys = new KeyStore(new AuthSettings("X", null, [new ClientKey("bench", hash)]));
        headers = new HeaderDictionary { ["Authorization"] = "Bearer sk-bench" };
        sink = new ArrayBufferWriter<byte>(8192);
    }

    [Benchmark(Description = "parse chat body (290 B)")]
    public int Parse()
    {
        OpenAIRequestParser.Parse(chatBody, Operation.ChatCompletions, out var r);
        return r.ModelLength;
    }

    [Benchmark(Description = "parse + rewrite model")]
    public int ParseAndRewrite()
    {
        OpenAIRequestParser.Parse(chatBody, Operation.ChatCompletions, out var r);
        var buffer = OpenAIBodyRewriter.Rewrite(chatBody, r, encodedModel, out var length);
        ArrayPool<byte>.Shared.Return(buffer);
        return length;
    }

    [Benchmark(Description = "parse + rewrite stream (inject include_usage)")]
    public int ParseAndRewriteStream()
    {
        OpenAIRequestParser.Parse(streamBody, Operation.ChatCompletions, out var r);
        var buffer = OpenAIBodyRewriter.Rewrite(streamBody, r, encodedModel, out var length);
        ArrayPool<byte>.Shared.Return(buffer);
        return length;
    }

    [Benchmark(Description = "authenticate bearer key (SHA-256 + lookup)")]
    public AuthOutcome Authenticate() => KeyAuthenticator.Authenticate(keys, headers, out _);

    [Benchmark(Description = "relay 17 SSE events, meter usage, drop usage chunk")]
    public long RelayStream()
    {
        sink.ResetWrittenCount();
        var usage = default(TokenUsage);
        var state = default(SseRelay.RelayState);
        SseRelay.WriteEvents(passthrough, sse, sink, clientWantsUsage: false, ref usage, ref state);
        return usage.TotalTokens;
    }

    [Benchmark(Description = "read usage from a chat.completion body")]
    public long ReadUsage()
    {
        var usage = default(TokenUsage);
        OpenAIUsageReader.TryRead(CompletionBody, ref usage, out _);
        return usage.TotalTokens;
    }

    private static ReadOnlySpan<byte> CompletionBody => """
        {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"The sea is wide.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"system_fingerprint":"fp_1"}
        """u8;
}

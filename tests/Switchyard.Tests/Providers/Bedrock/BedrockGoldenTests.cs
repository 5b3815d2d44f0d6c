using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Dispatch;
using Switchyard.Providers.OpenAI;
using Switchyard.Tests.TestKit.Bedrock;

namespace Switchyard.Tests.Providers.Bedrock;

/// <summary>
/// Golden files under <c>Golden/&lt;case&gt;/</c>; each file present in a case is checked:
/// <list type="bullet">
/// <item><c>client.request.json</c> (OpenAI Chat request) → <c>upstream.request.json</c> (URL, dropped fields, Converse body);</item>
/// <item><c>upstream.response.json</c> (Converse answer) → <c>client.response.json</c> (OpenAI chat.completion);</item>
/// <item><c>upstream.stream.jsonl</c> (readable frames, see <see cref="BedrockStreamScript"/>) → <c>client.sse.txt</c> (OpenAI SSE);</item>
/// <item><c>upstream.error.json</c> (status, x-amzn-ErrorType, body) → <c>client.error.json</c> (failure kind, client status and envelope).</item>
/// </list>
/// <c>case.json</c> may set <c>upstreamModel</c> and <c>allowDrop</c>. Run with <c>SWITCHYARD_UPDATE_GOLDEN=1</c> to
/// rewrite the expected files in the source tree (then review the diff).
/// </summary>
public sealed class BedrockGoldenTests
{
    private const long Created = 1_700_000_000;
    private static readonly JsonWriterOptions IndentedWriter = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "Providers", "Bedrock", "Golden")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void GoldenCasesAreCopiedToTheOutput() => Assert.True(Cases().Count >= 12);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Providers", "Bedrock", "Golden", name);
        var settings = File.Exists(Path.Combine(dir, "case.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "case.json")))!.AsObject() : [];
        var model = settings["upstreamModel"]?.GetValue<string>() ?? BedrockTestDeployments.ClaudeModel;
        var allowDrop = settings["allowDrop"]?.GetValue<bool>() ?? false;
        var deployment = BedrockTestDeployments.Deployment(model);
        var adapter = BedrockTestDeployments.Adapter();
        var checkedAny = false;

        var clientRequest = Path.Combine(dir, "client.request.json");
        var includeUsage = true;
        if (File.Exists(clientRequest))
        {
            var error = new OpenAIChatFormat().Parse(File.ReadAllBytes(clientRequest), new DefaultHttpContext(), out var request);
            Assert.Null(error);
            includeUsage = request.StreamUsage || !request.Stream;
            var built = adapter.BuildRequest(request, deployment, allowDrop);
            using var message = built.Message;
            var upstream = new JsonObject
            {
                ["url"] = message.RequestUri!.AbsoluteUri,
                ["dropped"] = new JsonArray(built.Dropped.Select(d => (JsonNode)d).ToArray()),
                ["body"] = JsonNode.Parse(message.Content!.ReadAsStream()),
            };
            Check(name, "upstream.request.json", Pretty(upstream));
            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream.response.json")))
        {
            var answer = adapter.ParseResponse(File.ReadAllBytes(Path.Combine(dir, "upstream.response.json")), deployment);
            answer.Created = Created;
            var output = new ArrayBufferWriter<byte>();
            new OpenAIChatFormat().WriteResponse(answer, model, output);
            Check(name, "client.response.json", Pretty(JsonNode.Parse(output.WrittenSpan)!));
            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream.stream.jsonl")))
        {
            var bytes = BedrockStreamScript.Load(Path.Combine(dir, "upstream.stream.jsonl")).ToBytes();
            Check(name, "client.sse.txt", Relay(adapter.CreateStreamDecoder(deployment), bytes, model, includeUsage, deployment.Name));
            checkedAny = true;
        }

        if (File.Exists(Path.Combine(dir, "upstream.error.json")))
        {
            var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "upstream.error.json")))!;
            using var response = new HttpResponseMessage();
            if (spec["errorType"]?.GetValue<string>() is { } type)
            {
                response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
            }

            var failure = adapter.ClassifyError(spec["status"]!.GetValue<int>(), Encoding.UTF8.GetBytes(spec["body"]!.ToJsonString()), response.Headers, deployment);
            var clientError = ClientResponses.ToClientError(failure);
            var envelope = new ArrayBufferWriter<byte>();
            new OpenAIChatFormat().WriteError(clientError, envelope);
            Check(name, "client.error.json", Pretty(new JsonObject
            {
                ["kind"] = FailureKinds.Name(failure.Kind),
                ["status"] = clientError.Status,
                ["body"] = JsonNode.Parse(envelope.WrittenSpan),
            }));
            checkedAny = true;
        }

        Assert.True(checkedAny, $"golden case '{name}' has no input file");
    }

    /// <summary>
    /// Feeds the body to the decoder in 7-byte reads (frames always straddle reads) and the events to the OpenAI
    /// encoder with the translated-stream relay's rules: an error event fails the stream, <c>done</c> completes
    /// it, and an end of bytes without <c>done</c> is a cut.
    /// </summary>
    private static string Relay(IStreamDecoder decoder, byte[] body, string model, bool includeUsage, string deployment)
    {
        var encoder = new OpenAIChunkEncoder(model, Created, includeUsage);
        var output = new ArrayBufferWriter<byte>();
        var buffer = new List<byte>();
        var events = new List<StreamEvent>();
        for (var at = 0; at < body.Length; at += 7)
        {
            buffer.AddRange(body.AsSpan(at, Math.Min(7, body.Length - at)).ToArray());
            var consumed = decoder.Decode(buffer.ToArray(), events, out var done);
            buffer.RemoveRange(0, consumed);
            foreach (var e in events)
            {
                if (e.Kind == StreamEventKind.Error)
                {
                    encoder.Fail(new ClientError(502, ErrorCategory.ServerError, $"The upstream deployment '{deployment}' reported an error mid-stream: {e.Text}", null, e.ErrorCode ?? "upstream_error"), output);
                    return Encoding.UTF8.GetString(output.WrittenSpan);
                }

                encoder.Write(e, output);
            }

            events.Clear();
            if (done)
            {
                encoder.Complete(output);
                return Encoding.UTF8.GetString(output.WrittenSpan);
            }
        }

        encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
            $"The upstream deployment '{deployment}' ended the stream before completing the response.", null, "upstream_stream_cut"), output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string Pretty(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, IndentedWriter))
        {
            node.WriteTo(w);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    private static void Check(string name, string file, string actual, [CallerFilePath] string source = "")
    {
        if (Environment.GetEnvironmentVariable("SWITCHYARD_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(source)!, "Golden", name, file), actual);
            return;
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Providers", "Bedrock", "Golden", name, file);
        Assert.True(File.Exists(path), $"missing golden file {name}/{file}; actual output:\n{actual}");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), actual);
    }
}

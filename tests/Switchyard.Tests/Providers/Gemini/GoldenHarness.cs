using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Ingress;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.Gemini;

/// <summary>
/// Runs one direction of translation the way the gateway does (<c>TranslatedAttempts</c> /
/// <c>TranslatedStream</c>), without sockets, so the translators are tested byte for byte: client format in,
/// adapter out, and back.
/// </summary>
internal sealed class GoldenHarness(string direction, IInboundFormat client, IProviderAdapter upstream, DeploymentTarget deployment)
{
    /// <summary>Fixed <c>created</c> (the gateway stamps its clock where an upstream gives none).</summary>
    public const long Created = 1_700_000_000;

    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Direction => direction;

    public static DeploymentTarget Deployment(string name, string kind, string baseUrl, string key, string model)
    {
        var provider = new ProviderConfig(name, kind, name, new Uri(baseUrl), key, [], Timeouts.Default);
        return DeploymentTarget.Create(new DeploymentConfig(name + "-deployment", provider, model, Timeouts.Default));
    }

    /// <summary>The client's request: for Gemini a <c>{"url","body"}</c> pair (model and stream are in the URL).</summary>
    public (byte[] Body, HttpContext Http) ClientRequest(string name)
    {
        using var doc = JsonDocument.Parse(GoldenFiles.Read(direction, name, "client-request.json"));
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        var root = doc.RootElement;
        if (root.TryGetProperty("url", out var url) && root.TryGetProperty("body", out var body))
        {
            var text = url.GetString()!;
            var q = text.IndexOf('?', StringComparison.Ordinal);
            http.Request.Path = q < 0 ? text : text[..q];
            http.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(text[q..]);
            return (Encoding.UTF8.GetBytes(body.GetRawText()), http);
        }

        http.Request.Path = "/v1/chat/completions";
        return (Encoding.UTF8.GetBytes(root.GetRawText()), http);
    }

    public ChatRequest ParseClient(string name)
    {
        var error = TryParseClient(name, out var request);
        Assert.True(error is null, error?.Message);
        return request;
    }

    private ClientError? TryParseClient(string name, out ChatRequest request)
    {
        var (body, http) = ClientRequest(name);
        request = new ChatRequest { Model = "" };
        return client.ParseHead(body, http, Operation.ChatCompletions, out _) ?? client.Parse(body, http, out request);
    }

    /// <summary>The upstream request, or what the client is told when its request is refused.</summary>
    public string Request(string name)
    {
        var refused = TryParseClient(name, out var request);
        using var output = new MemoryStream();
        using (var w = new Utf8JsonWriter(output, Compact))
        {
            w.WriteStartObject();
            if (refused is { } e)
            {
                var body = new ArrayBufferWriter<byte>();
                client.WriteError(e, body);
                w.WriteNumber("clientStatus", e.Status);
                w.WritePropertyName("clientBody");
                using var parsed = JsonDocument.Parse(body.WrittenMemory);
                parsed.RootElement.WriteTo(w);
                w.WriteEndObject();
                w.Flush();
                return GoldenFiles.Indent(Encoding.UTF8.GetString(output.ToArray()));
            }

            try
            {
                var built = upstream.BuildRequest(request, deployment, allowDrop: false);
                using var message = built.Message;
                w.WriteString("method", message.Method.Method);
                w.WriteString("url", message.RequestUri!.ToString());
                w.WriteStartObject("headers");
                foreach (var (h, v) in message.Headers.Concat(message.Content!.Headers).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
                {
                    w.WriteString(h.ToLowerInvariant(), string.Join(", ", v));
                }

                w.WriteEndObject();
                w.WriteStartArray("dropped");
                built.Dropped.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                w.WritePropertyName("body");
                using var body = JsonDocument.Parse(message.Content.ReadAsStream());
                body.RootElement.WriteTo(w);
            }
            catch (UnsupportedFeatureException ex)
            {
                w.WriteStartObject("unsupported");
                w.WriteString("field", ex.Field);
                w.WriteString("message", ex.Message);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return GoldenFiles.Indent(Encoding.UTF8.GetString(output.ToArray()));
    }

    public string Response(string name)
    {
        var answer = upstream.ParseResponse(GoldenFiles.ReadBytes(direction, name, "upstream-response.json"), deployment);
        if (answer.Created == 0)
        {
            answer.Created = Created;
        }

        var output = new ArrayBufferWriter<byte>();
        client.WriteResponse(answer, deployment.Config.UpstreamModel, output);
        return GoldenFiles.Indent(Encoding.UTF8.GetString(output.WrittenSpan));
    }

    public string Error(string name)
    {
        using var doc = JsonDocument.Parse(GoldenFiles.Read(direction, name, "upstream-error.json"));
        var root = doc.RootElement;
        using var response = new HttpResponseMessage();
        if (root.TryGetProperty("headers", out var headers))
        {
            foreach (var h in headers.EnumerateObject())
            {
                response.Headers.TryAddWithoutValidation(h.Name, h.Value.GetString());
            }
        }

        var status = root.GetProperty("status").GetInt32();
        var failure = upstream.ClassifyError(status, Encoding.UTF8.GetBytes(root.GetProperty("body").GetRawText()), response.Headers, deployment);
        var error = ClientResponses.ToClientError(failure);
        var body = new ArrayBufferWriter<byte>();
        client.WriteError(error, body);
        using var output = new MemoryStream();
        using (var w = new Utf8JsonWriter(output, Compact))
        {
            w.WriteStartObject();
            w.WriteString("kind", FailureKinds.Name(failure.Kind));
            if (failure.RetryAfter is { } wait)
            {
                w.WriteNumber("retryAfterSeconds", wait.TotalSeconds);
            }
            else
            {
                w.WriteNull("retryAfterSeconds");
            }

            w.WriteNumber("clientStatus", error.Status);
            w.WritePropertyName("clientBody");
            using var parsed = JsonDocument.Parse(body.WrittenMemory);
            parsed.RootElement.WriteTo(w);
            w.WriteEndObject();
        }

        return GoldenFiles.Indent(Encoding.UTF8.GetString(output.ToArray()));
    }

    /// <summary>
    /// The client's stream, the upstream's bytes arriving one SSE event per read (as a live upstream sends
    /// them; when content and an error arrive in one read the gateway still falls back, so reads matter).
    /// </summary>
    public string Stream(string name)
    {
        var request = GoldenFiles.Exists(direction, name, "client-request.json")
            ? ParseClient(name)
            : new ChatRequest { Model = "alias", Stream = true, StreamUsage = true };
        return RunStream(request, Reads(GoldenFiles.ReadBytes(direction, name, "upstream-stream.sse")));
    }

    /// <summary>Decoded events with the bytes split every <paramref name="slice"/> bytes (0 = one read):
    /// the decoder's result must not depend on where reads split frames.</summary>
    public string DecodedEvents(string name, int slice)
    {
        var data = GoldenFiles.ReadBytes(direction, name, "upstream-stream.sse");
        var decoder = upstream.CreateStreamDecoder(deployment);
        var events = new List<StreamEvent>();
        var buffer = new List<byte>();
        var done = false;
        for (var position = 0; position < data.Length;)
        {
            var n = slice == 0 ? data.Length : Math.Min(slice, data.Length - position);
            buffer.AddRange(data.AsSpan(position, n));
            position += n;
            buffer.RemoveRange(0, decoder.Decode(buffer.ToArray(), events, out var end));
            done |= end;
        }

        return string.Join("\n", events.Select(e => e.ToString())) + $"\ndone={done} leftover={buffer.Count}";
    }

    private static List<byte[]> Reads(byte[] data)
    {
        var reads = new List<byte[]>();
        var start = 0;
        for (var i = 0; i + 1 < data.Length; i++)
        {
            if (data[i] == (byte)'\n' && (data[i + 1] == (byte)'\n' || (data[i + 1] == (byte)'\r' && i + 2 < data.Length && data[i + 2] == (byte)'\n')))
            {
                var end = data[i + 1] == (byte)'\n' ? i + 2 : i + 3;
                reads.Add(data[start..end]);
                start = end;
            }
        }

        if (start < data.Length)
        {
            reads.Add(data[start..]);
        }

        return reads;
    }

    /// <summary>TranslatedStream's rules: commit at the first content event; an error or end of bytes before it
    /// is a failure the dispatcher may fall back on; after it, an error, or an end of bytes without the
    /// protocol's end, is ended through the encoder's Fail.</summary>
    private string RunStream(ChatRequest request, List<byte[]> reads)
    {
        var decoder = upstream.CreateStreamDecoder(deployment);
        var buffer = new List<byte>();
        var pending = new List<StreamEvent>();
        var output = new ArrayBufferWriter<byte>();
        IStreamEncoder? encoder = null;
        var done = false;
        var position = 0;
        while (true)
        {
            if (encoder is null && pending.Any(e => e.Kind == StreamEventKind.Error))
            {
                var error = pending.First(e => e.Kind == StreamEventKind.Error);
                return NotCommitted(new UpstreamFailure(FailureKind.ServerError,
                    $"deployment '{deployment.Name}' sent an error event before any content: {error.Text}", 502));
            }

            if (encoder is null && (done || pending.Any(e => e.Kind is not (StreamEventKind.Start or StreamEventKind.Usage))))
            {
                encoder = client.CreateStreamEncoder(request, deployment.Config.UpstreamModel, Created);
            }

            if (encoder is not null)
            {
                foreach (var e in pending)
                {
                    if (e.Kind == StreamEventKind.Error)
                    {
                        encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                            $"The upstream deployment '{deployment.Name}' reported an error mid-stream: {e.Text}", null, e.ErrorCode ?? "upstream_error"), output);
                        return Encoding.UTF8.GetString(output.WrittenSpan);
                    }

                    encoder.Write(e, output);
                }

                pending.Clear();
                if (done)
                {
                    encoder.Complete(output);
                    return Encoding.UTF8.GetString(output.WrittenSpan);
                }
            }

            if (position >= reads.Count)
            {
                if (encoder is null)
                {
                    return NotCommitted(new UpstreamFailure(FailureKind.StreamCut, $"deployment '{deployment.Name}' ended its stream before any content"));
                }

                encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                    $"The upstream deployment '{deployment.Name}' ended the stream before completing the response.", null, "upstream_stream_cut"), output);
                return Encoding.UTF8.GetString(output.WrittenSpan);
            }

            buffer.AddRange(reads[position++]);
            var consumed = decoder.Decode(buffer.ToArray(), pending, out var end);
            done |= end;
            buffer.RemoveRange(0, consumed);
        }
    }

    private string NotCommitted(UpstreamFailure failure)
    {
        var error = ClientResponses.ToClientError(failure);
        var body = new ArrayBufferWriter<byte>();
        client.WriteError(error, body);
        return $"[not committed: {FailureKinds.Name(failure.Kind)}] HTTP {error.Status}\n{Encoding.UTF8.GetString(body.WrittenSpan)}\n";
    }
}

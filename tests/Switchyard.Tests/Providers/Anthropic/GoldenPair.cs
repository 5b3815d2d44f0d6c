using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.Anthropic;

/// <summary>
/// One client format and one upstream adapter, driven the way the translated path drives them, rendering every
/// step as text for a golden file: the upstream request (method, URL, headers, body), the client's answer, the
/// client's stream, and the client's error for an upstream failure. Pure: no sockets.
/// </summary>
public sealed class GoldenPair(IInboundFormat format, IProviderAdapter adapter, DeploymentTarget deployment)
{
    /// <summary>Fixed clock for the <c>created</c> fields.</summary>
    public const long Created = 1_700_000_000;

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Pairs by folder name.</summary>
    public static GoldenPair For(string name) => name switch
    {
        "anthropic-client-openai-upstream" => new(new AnthropicMessagesFormat(), new OpenAIChatAdapter(),
            Deployment("gpt-d", OpenAICompatibleProvider.KindName, "https://api.openai.com/v1", "gpt-4o-mini", "sk-openai-test", [])),
        "openai-client-anthropic-upstream" => new(new OpenAIChatFormat(), new AnthropicAdapter(),
            Deployment("claude-d", AnthropicProvider.KindName, "https://api.anthropic.com/v1", "claude-sonnet-4-5", "sk-ant-test", [])),
        "openai-client-anthropic-2026-upstream" => new(new OpenAIChatFormat(), new AnthropicAdapter(),
            Deployment("claude-d", AnthropicProvider.KindName, "https://api.anthropic.com/v1", "claude-sonnet-4-5", "sk-ant-test",
                new Dictionary<string, string> { ["anthropic_version"] = "2026-10-21" })),
        _ => throw new ArgumentException($"unknown golden pair '{name}'"),
    };

    private static DeploymentTarget Deployment(string name, string kind, string baseUrl, string model, string key, Dictionary<string, string> settings)
    {
        var provider = new ProviderConfig(name + "-provider", kind, kind.ToString().ToLowerInvariant(), new Uri(baseUrl), key, [], Timeouts.Default) { Settings = settings };
        return DeploymentTarget.Create(new DeploymentConfig(name, provider, model, Timeouts.Default));
    }

    /// <summary>The client's request parsed (and refused as the gateway would, as text).</summary>
    public ChatRequest Parse(string clientJson)
    {
        var error = format.Parse(Encoding.UTF8.GetBytes(clientJson), new DefaultHttpContext(), out var request);
        Assert.True(error is null, $"the client request was refused: {error}");
        return request;
    }

    /// <summary>The upstream request as <c>METHOD URL</c>, sorted headers, a blank line and the indented body;
    /// a refusal as <c>REFUSED field: message</c>.</summary>
    public string UpstreamRequest(string clientJson, bool allowDrop = false)
    {
        UpstreamRequest built;
        try
        {
            built = adapter.BuildRequest(Parse(clientJson), deployment, allowDrop);
        }
        catch (UnsupportedFeatureException ex)
        {
            return $"REFUSED {ex.Field}: {ex.Message}\n";
        }

        using var message = built.Message;
        var text = new StringBuilder($"{message.Method} {message.RequestUri}\n");
        var headers = message.Headers.Concat(message.Content!.Headers)
            .Select(h => $"{h.Key.ToLowerInvariant()}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal);
        foreach (var header in headers)
        {
            text.Append(header).Append('\n');
        }

        if (built.Dropped.Count > 0)
        {
            text.Append("(dropped: ").Append(string.Join(",", built.Dropped)).Append(")\n");
        }

        return text.Append('\n').Append(Indent(message.Content.ReadAsByteArrayAsync().Result)).ToString();
    }

    /// <summary>The client's answer for a whole upstream body.</summary>
    public string ClientResponse(string upstreamJson)
    {
        var response = adapter.ParseResponse(Encoding.UTF8.GetBytes(upstreamJson), deployment);
        if (response.Created == 0)
        {
            response.Created = Created;
        }

        var output = new ArrayBufferWriter<byte>();
        format.WriteResponse(response, deployment.Config.UpstreamModel, output);
        return Indent(output.WrittenSpan);
    }

    /// <summary>
    /// The client's stream for an upstream stream, with <see cref="Dispatch.TranslatedStream"/>'s rules after the
    /// commit point: an upstream error event or a missing end marker ends it through the encoder's <c>Fail</c>.
    /// The upstream bytes arrive in <paramref name="readSize"/>-byte reads, so partial frames are exercised.
    /// </summary>
    public string ClientStream(ChatRequest request, byte[] upstream, int readSize)
    {
        var decoder = adapter.CreateStreamDecoder(deployment);
        var encoder = format.CreateStreamEncoder(request, deployment.Config.UpstreamModel, Created);
        var output = new ArrayBufferWriter<byte>();
        var events = new List<StreamEvent>();
        var buffer = new List<byte>();
        var done = false;
        for (var at = 0; at < upstream.Length && !done; at += readSize)
        {
            buffer.AddRange(upstream.AsSpan(at, Math.Min(readSize, upstream.Length - at)));
            var consumed = decoder.Decode(buffer.ToArray(), events, out done);
            buffer.RemoveRange(0, consumed);
            foreach (var e in events)
            {
                if (e.Kind == StreamEventKind.Error)
                {
                    encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                        $"The upstream deployment '{deployment.Name}' reported an error mid-stream: {e.Text}", null, e.ErrorCode ?? "upstream_error"), output);
                    return Encoding.UTF8.GetString(output.WrittenSpan);
                }

                encoder.Write(e, output);
            }

            events.Clear();
        }

        if (done)
        {
            encoder.Complete(output);
        }
        else
        {
            encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                $"The upstream deployment '{deployment.Name}' ended the stream before completing the response.", null, "upstream_stream_cut"), output);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>
    /// The client's error for an upstream error response (<c>HTTP/1.1 STATUS</c>, headers, blank line, body), as
    /// <see cref="ClientResponses.WriteFailureAsync"/> renders it; the failure kind is shown as a pseudo-header.
    /// </summary>
    public string ClientError(string upstreamHttp)
    {
        var (head, body) = Split(upstreamHttp);
        var lines = head.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)status);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            response.Headers.TryAddWithoutValidation(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }

        var failure = adapter.ClassifyError(status, Encoding.UTF8.GetBytes(body), response.Headers, deployment);
        var error = ClientResponses.ToClientError(failure);
        var output = new ArrayBufferWriter<byte>();
        format.WriteError(error, output);
        var text = new StringBuilder($"HTTP/1.1 {error.Status}\n(failure-kind: {FailureKinds.Name(failure.Kind)})\n");
        if (failure.Kind == FailureKind.RateLimited && failure.RetryAfter is { } wait)
        {
            text.Append($"retry-after: {Math.Ceiling(wait.TotalSeconds)}\n");
        }

        return text.Append('\n').Append(Indent(output.WrittenSpan)).ToString();
    }

    /// <summary>Re-indents JSON (property order and values untouched) so golden files stay readable and diffs small.</summary>
    public static string Indent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        var output = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(output, Indented))
        {
            doc.RootElement.WriteTo(w);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    /// <summary>Splits an HTTP-ish text at its first blank line.</summary>
    public static (string Head, string Body) Split(string text)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var blank = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        return blank < 0 ? (normalized, "") : (normalized[..blank], normalized[(blank + 2)..]);
    }
}

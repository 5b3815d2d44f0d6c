using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>. When the alias's first deployment is Anthropic, the request is
/// forwarded to its <c>{base_url}/messages/count_tokens</c> (model rewritten) and the answer relayed. Otherwise
/// no upstream can count in Anthropic's tokenizer, so an estimate is returned — ceil(characters / 4) over the
/// request's text (system, messages, tool calls and results, tool definitions) — marked with
/// <c>x-switchyard-estimate: true</c>. Not metered: counting generates nothing.
/// </summary>
public sealed class AnthropicCountTokens(UpstreamHttp upstream)
{
    /// <summary>Response header marking an estimated count.</summary>
    public const string EstimateHeader = "x-switchyard-estimate";

    private const int MaxResponseBody = 1024 * 1024;
    private static readonly AnthropicMessagesFormat Format = new();
    private static readonly AnthropicPassthrough Passthrough = new();

    /// <summary>
    /// Counts for <paramref name="deployment"/>: forwarded when it speaks Anthropic (its own tokenizer), else an
    /// estimate from <paramref name="body"/>. The caller has authenticated, read and parsed the request.
    /// </summary>
    public async Task CountAsync(HttpContext http, RequestBody body, RequestHead head, DeploymentTarget deployment)
    {
        if (deployment.Config.Provider.Kind == AnthropicProvider.KindName)
        {
            await ForwardAsync(http, body, head, deployment).ConfigureAwait(false);
            return;
        }

        if (Format.Parse(body.Span, http, out var request) is { } untranslatable)
        {
            await ErrorAsync(http, untranslatable).ConfigureAwait(false);
            return;
        }

        http.Response.Headers[EstimateHeader] = "true";
        var json = Encoding.UTF8.GetBytes($"{{\"input_tokens\":{Estimate(request).ToString(CultureInfo.InvariantCulture)}}}");
        await WriteAsync(http, 200, "application/json", json, json.Length).ConfigureAwait(false);
    }

    /// <summary>ceil(characters / 4) over the text a model would read.</summary>
    public static long Estimate(ChatRequest request)
    {
        long chars = 0;
        void Count(IEnumerable<ContentPart> parts)
        {
            foreach (var part in parts)
            {
                chars += part switch
                {
                    TextPart t => t.Text.Length,
                    ToolCallPart c => c.Name.Length + c.Arguments.Length,
                    ThinkingPart th => th.Text.Length,
                    DocumentPart { MediaType: "text/plain", Data: { } data } => Encoding.UTF8.GetString(Convert.FromBase64String(data)).Length,
                    _ => 0, // images and PDFs are not text; their token cost is the provider's to say
                };
                if (part is ToolResultPart result)
                {
                    Count(result.Content);
                }
            }
        }

        Count(request.System);
        foreach (var message in request.Messages)
        {
            Count(message.Content);
        }

        foreach (var tool in request.Tools)
        {
            chars += tool.Name.Length + (tool.Description?.Length ?? 0) + (tool.Parameters?.GetRawText().Length ?? 0);
        }

        return (chars + 3) / 4;
    }

    private async Task ForwardAsync(HttpContext http, RequestBody body, RequestHead head, DeploymentTarget deployment)
    {
        var rewritten = AnthropicPassthrough.Splice(body.Span, head.ModelStart, head.ModelLength, deployment.EncodedModel, out var length);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, AnthropicAdapter.CountTokensUri(deployment))
            {
                Content = new ByteArrayContent(rewritten, 0, length),
            };
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            message.Options.Set(UpstreamHttp.ConnectTimeoutKey, deployment.Config.Timeouts.Connect);
            AnthropicAdapter.ApplyProviderHeaders(message, deployment);
            Passthrough.ApplyClientHeaders(message, http.Request.Headers);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            timeout.CancelAfter(deployment.Config.Timeouts.Total);
            using var response = await upstream.For(deployment.Config.Provider).SendAsync(message, timeout.Token).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (answer.Length > MaxResponseBody)
            {
                throw new HttpRequestException($"count_tokens answer larger than {MaxResponseBody} bytes");
            }

            http.Response.Headers["x-switchyard-deployment"] = deployment.Name;
            if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // The provider refused the gateway's credentials: the client's key is fine (as on /v1/messages).
                await ErrorAsync(http, new ClientError(502, ErrorCategory.ServerError,
                    $"deployment '{deployment.Name}' returned HTTP {(int)response.StatusCode}: the upstream provider rejected the gateway's credentials.")).ConfigureAwait(false);
                return;
            }

            await WriteAsync(http, (int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "application/json", answer, answer.Length).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            await ErrorAsync(http, new ClientError(502, ErrorCategory.ServerError,
                $"deployment '{deployment.Name}' could not count tokens: {ex.Message}")).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rewritten);
        }
    }

    /// <summary>Writes <paramref name="error"/> in Anthropic's shape.</summary>
    public static Task ErrorAsync(HttpContext http, in ClientError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Format.WriteError(error, buffer);
        return WriteAsync(http, error.Status, "application/json", buffer.WrittenMemory.ToArray(), buffer.WrittenCount);
    }

    private static Task WriteAsync(HttpContext http, int status, string contentType, byte[] body, int length)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = length;
        return http.Response.Body.WriteAsync(body.AsMemory(0, length), http.RequestAborted).AsTask();
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Switchyard.Upstream;

namespace Switchyard.Guardrails;

/// <summary>
/// The <c>moderation</c> rule: the prompt's text is sent to the rule's alias in OpenAI's <c>POST /v1/moderations</c>
/// shape (<c>{"model", "input"}</c> → <c>{"results": [{"flagged", "categories"}]}</c>), to the alias's first
/// deployment with its provider's key, under a deadline on the gateway's <see cref="TimeProvider"/>. A call that does
/// not answer in time, or fails, follows the rule's <c>on_timeout</c>: <c>allow</c> (recorded <c>timeout-allow</c>) or
/// <c>block</c> (a 503, recorded <c>timeout-block</c>): a guard callout never hangs a request. The call is not metered
/// as a usage record of its own (moderation endpoints are free at OpenAI; stated in docs/adr/0016).
/// </summary>
public sealed partial class Moderation(UpstreamHttp upstream, TimeProvider time, ILogger<Moderation> logger)
{
    /// <summary>Runs every moderation rule of <paramref name="rules"/>; the refusal, or null to go on.</summary>
    internal async ValueTask<ClientError?> CheckAsync(GatewayContext ctx, List<GuardRule> rules, PromptText prompt, GuardTicket ticket)
    {
        string? text = null;
        foreach (var rule in rules)
        {
            if (rule.Kind != GuardRuleKind.Moderation)
            {
                continue;
            }

            text ??= prompt.Joined();
            var verdict = await CallAsync(ctx, rule, text).ConfigureAwait(false);
            if (Decide(rule, verdict, ticket) is { } refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    /// <summary>What the call said: flagged (with the categories), clean, or no answer (null).</summary>
    private async Task<(bool Flagged, string Categories)?> CallAsync(GatewayContext ctx, GuardRule rule, string text)
    {
        if (!ctx.Table.Aliases.TryGetValue(rule.Alias!, out var alias) || alias.Deployments.Length == 0)
        {
            return null;
        }

        var deployment = alias.Deployments[0];
        using var deadline = new CancellationTokenSource(rule.Deadline, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ctx.Http.RequestAborted);
        using var message = Request(deployment, text);
        try
        {
            using var response = await upstream.For(deployment.Config.Provider).SendAsync(message, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogFailed(logger, ctx.RequestId, rule.Name, $"HTTP {(int)response.StatusCode}");
                return null;
            }

            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return Read(body);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            ctx.Http.RequestAborted.ThrowIfCancellationRequested(); // the client left: nothing to decide
            LogFailed(logger, ctx.RequestId, rule.Name, deadline.IsCancellationRequested ? $"no answer within {rule.Deadline.TotalMilliseconds:0} ms" : ex.Message);
            return null;
        }
    }

    private static HttpRequestMessage Request(DeploymentTarget deployment, string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(text.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", deployment.Config.UpstreamModel);
            w.WriteString("input", text);
            w.WriteEndObject();
        }

        var uri = new Uri(deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/') + "/moderations");
        var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Authorization = deployment.LeaseBearer(message);
        return message;
    }

    /// <summary>Reads <c>results[*].flagged</c> and the categories set to true.</summary>
    internal static (bool Flagged, string Categories) Read(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var flagged = false;
        var categories = new StringBuilder();
        foreach (var result in doc.RootElement.GetProperty("results").EnumerateArray())
        {
            flagged |= result.TryGetProperty("flagged", out var f) && f.ValueKind == JsonValueKind.True;
            if (result.TryGetProperty("categories", out var cats) && cats.ValueKind == JsonValueKind.Object)
            {
                foreach (var cat in cats.EnumerateObject())
                {
                    if (cat.Value.ValueKind == JsonValueKind.True)
                    {
                        categories.Append(categories.Length == 0 ? "" : ", ").Append(cat.Name);
                    }
                }
            }
        }

        return (flagged, categories.ToString());
    }

    private static ClientError? Decide(GuardRule rule, (bool Flagged, string Categories)? verdict, GuardTicket ticket)
    {
        if (verdict is not { } answer)
        {
            ticket.Record(new GuardEvent(GuardWhere.Input, rule.Name, rule.BlockOnTimeout ? "timeout-block" : "timeout-allow"));
            return rule.BlockOnTimeout
                ? new ClientError(503, ErrorCategory.Overloaded,
                    $"The request was blocked by guardrail rule '{rule.Name}': the moderation check did not answer within {rule.Deadline.TotalMilliseconds:0} ms (on_timeout: block).",
                    null, "guardrail_unavailable")
                : null;
        }

        if (!answer.Flagged)
        {
            return null;
        }

        ticket.Record(new GuardEvent(GuardWhere.Input, rule.Name, rule.Action == GuardAction.Flag ? "flag" : "block"));
        return rule.Action == GuardAction.Flag
            ? null
            : new ClientError(400, ErrorCategory.InvalidRequest,
                $"The request was blocked by guardrail rule '{rule.Name}': moderation flagged it ({(answer.Categories.Length > 0 ? answer.Categories : "flagged")}).",
                null, "guardrail_blocked");
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Request {RequestId}: moderation rule {Rule} had no verdict: {Reason}")]
    private static partial void LogFailed(ILogger logger, string requestId, string rule, string reason);
}

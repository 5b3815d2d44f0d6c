using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Switchyard.Observability;

/// <summary>
/// Makes the request's span say what the gateway did: the span is ASP.NET Core's own server span (one per request,
/// continued from the client's <c>traceparent</c>; the attempt spans are its children), named and tagged here when
/// Settle reports the request, following the GenAI conventions from the server side (<c>gen_ai.request.model</c> is
/// the alias asked for). Never a prompt or an answer; the request id is an attribute (spans are per request anyway),
/// never a metric label.
/// </summary>
internal sealed class RequestSpans : IRequestObserver
{
    /// <inheritdoc />
    public void Observe(GatewayContext ctx, UsageRecord record)
    {
        if (ctx.Http.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } span)
        {
            return;
        }

        var operation = GatewayTracing.OperationName(ctx.Operation);
        var alias = RequestMetrics.RequestFacts.AliasOf(ctx);
        span.DisplayName = operation is null ? $"{ctx.Http.Request.Method} {record.Operation}" : $"{operation} {alias}";
        span.SetTag(GenAiNames.RequestId, record.RequestId);
        span.SetTag(GenAiNames.Operation, operation);
        span.SetTag(GenAiNames.RequestModel, alias);
        span.SetTag(GenAiNames.Status, record.Status);
        span.SetTag(GenAiNames.KeyId, record.KeyId);
        if (ctx.Final is { } final)
        {
            span.SetTag(GenAiNames.Provider, GenAiNames.ProviderName(final.Config.Provider));
            span.SetTag(GenAiNames.ResponseModel, final.Config.UpstreamModel);
            span.SetTag(GenAiNames.Deployment, final.Name);
            span.SetTag(GenAiNames.InputTokens, record.PromptTokens);
            span.SetTag(GenAiNames.OutputTokens, record.CompletionTokens);
        }

        span.SetTag("switchyard.attempts", record.Attempts);
        span.SetTag("switchyard.hedged", record.Hedged ? true : null);
        span.SetTag("switchyard.fallback_reason", record.FallbackReason);
        if (record.ErrorKind is { } error)
        {
            span.SetTag(GenAiNames.ErrorType, error);
            span.SetStatus(ActivityStatusCode.Error);
        }
    }
}

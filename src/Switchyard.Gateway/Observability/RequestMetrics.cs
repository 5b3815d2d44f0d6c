using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Switchyard.Observability;

/// <summary>
/// Records a finished request's metrics from its context and usage record (Settle calls it; see
/// <see cref="IRequestObserver"/>): what the client saw (requests, the server-side GenAI metrics, refusals, cost) and,
/// from the attempt log, what each upstream call did (<see cref="AttemptMetrics"/>). No allocation per request: tags
/// travel in <see cref="TagList"/>s and every label value is a string the configuration or the code already holds.
/// </summary>
internal sealed partial class RequestMetrics(GatewayInstruments instruments, TimeProvider time, int maxLabelValues, ILogger logger) : IRequestObserver
{
    /// <summary>Boxed status codes, so an <c>int</c> label does not allocate per request.</summary>
    private static readonly object[] StatusCodes = Enumerable.Range(0, 600).Select(code => (object)code).ToArray();

    private readonly LabelBudget keys = new(maxLabelValues);
    private readonly LabelBudget teams = new(maxLabelValues);
    private readonly LabelBudget errors = new(64); // error kinds and refusal codes: a closed set in the code, bounded anyway
    private readonly AttemptMetrics attempts = new(instruments, time);

    /// <inheritdoc />
    public void Observe(GatewayContext ctx, UsageRecord record)
    {
        try
        {
            var facts = new RequestFacts(ctx, record, errors);
            var shadow = IsShadow(ctx);
            if (!shadow)
            {
                RecordRequest(in facts, record);
                RecordServed(in facts, ctx, record);
            }

            RecordTokens(in facts, ctx, record);
            attempts.Record(ctx, record, facts.Operation, facts.Alias, overhead: !shadow);
            RecordCache(in facts, record);
            RecordGuardrails(ctx);
            if (record.Attempts > 0)
            {
                instruments.Cost.Add(record.CostMicros / 1_000_000.0, new TagList
                {
                    { GenAiNames.KeyId, keys.Of(record.KeyId) }, { GenAiNames.TeamId, teams.Of(record.TeamId) }, { GenAiNames.Alias, facts.Alias },
                });
            }
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex, ctx.RequestId); // a metrics bug must never fail a request
        }
    }

    /// <summary>The exact cache: hits and misses per alias, and what the hits saved.</summary>
    private void RecordCache(in RequestFacts facts, UsageRecord record)
    {
        if (record.Cache is not { } result)
        {
            return;
        }

        instruments.CacheLookups.Add(1, new TagList { { GenAiNames.Alias, facts.Alias }, { GenAiNames.CacheResult, result } });
        if (record.CostSavedMicros > 0)
        {
            instruments.CacheSaved.Add(record.CostSavedMicros / 1_000_000.0, new TagList { { GenAiNames.Alias, facts.Alias } });
        }
    }

    /// <summary>Guardrails: each action of the request, once (rule names are config vocabulary, so the labels are bounded).</summary>
    private void RecordGuardrails(GatewayContext ctx)
    {
        if (ctx.Guard is not { } guard)
        {
            return;
        }

        foreach (var e in guard.Events)
        {
            instruments.GuardrailActions.Add(1, new TagList
            {
                { GenAiNames.GuardrailRule, e.Rule }, { GenAiNames.GuardrailAction, e.Action },
                { GenAiNames.GuardrailWhere, e.Where == GuardWhere.Input ? "input" : "output" },
            });
        }
    }

    private void RecordRequest(in RequestFacts facts, UsageRecord record)
    {
        var status = (uint)record.Status < (uint)StatusCodes.Length ? StatusCodes[record.Status] : record.Status;
        var tags = new TagList
        {
            { GenAiNames.Alias, facts.Alias }, { GenAiNames.Deployment, facts.Deployment }, { GenAiNames.Status, status },
            { GenAiNames.GatewayOperation, record.Operation },
        };
        if (facts.Error is { } error)
        {
            tags.Add(GenAiNames.ErrorType, error);
        }

        instruments.Requests.Add(1, tags);
        if (record.Attempts == 0 && facts.Error is { } reason && reason != "client_cancelled")
        {
            instruments.Refusals.Add(1, new TagList { { GenAiNames.Reason, reason }, { GenAiNames.Status, status } });
        }
    }

    /// <summary>
    /// A shadow copy (route <c>NAME/shadow</c>, ShadowStage) had no client: its upstream calls, tokens and cost count,
    /// what a client would have seen (requests, durations, overhead) does not.
    /// </summary>
    private static bool IsShadow(GatewayContext ctx) => ctx.RouteName is { } route && route.EndsWith("/shadow", StringComparison.Ordinal);

    /// <summary>The gateway as a GenAI server (what the client asked for, <c>gen_ai.request.model</c> = the alias): duration and time to first token.</summary>
    private void RecordServed(in RequestFacts facts, GatewayContext ctx, UsageRecord record)
    {
        if (facts.Operation is null)
        {
            return;
        }

        var tags = new TagList { { GenAiNames.Operation, facts.Operation }, { GenAiNames.RequestModel, facts.Alias } };
        if (ctx.Final is { } final)
        {
            tags.Add(GenAiNames.Provider, GenAiNames.ProviderName(final.Config.Provider));
            tags.Add(GenAiNames.ResponseModel, final.Config.UpstreamModel);
        }

        if (facts.Error is null && record.Stream && record.TimeToFirstTokenMs is { } ttft)
        {
            instruments.TimeToFirstToken.Record(ttft / 1000, tags);
        }

        if (facts.Error is { } error)
        {
            tags.Add(GenAiNames.ErrorType, error);
        }

        instruments.ServerDuration.Record(record.LatencyMs / 1000, tags);
    }

    /// <summary>The tokens of the call that answered (a GenAI client metric: the model is the upstream model it was sent).</summary>
    private void RecordTokens(in RequestFacts facts, GatewayContext ctx, UsageRecord record)
    {
        if (facts.Operation is not null && ctx.Final is { } answered && record.UsageSource is not null && instruments.TokenUsage.Enabled)
        {
            var model = answered.Config.UpstreamModel;
            var usage = new TagList
            {
                { GenAiNames.Operation, facts.Operation }, { GenAiNames.Provider, GenAiNames.ProviderName(answered.Config.Provider) },
                { GenAiNames.RequestModel, model }, { GenAiNames.ResponseModel, model },
                { GenAiNames.Alias, facts.Alias }, { GenAiNames.Deployment, answered.Name }, { GenAiNames.TokenType, "input" },
            };
            instruments.TokenUsage.Record(record.PromptTokens, usage);
            usage[6] = new KeyValuePair<string, object?>(GenAiNames.TokenType, "output");
            instruments.TokenUsage.Record(record.CompletionTokens, usage);
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Metrics of request {RequestId} could not be recorded")]
    private static partial void LogFailed(ILogger logger, Exception ex, string requestId);

    /// <summary>The labels every metric of one request shares, each bounded (see <see cref="LabelBudget"/>).</summary>
    internal readonly struct RequestFacts
    {
        public RequestFacts(GatewayContext ctx, UsageRecord record, LabelBudget errors)
        {
            Operation = GatewayTracing.OperationName(ctx.Operation);
            Alias = AliasOf(ctx);
            Deployment = ctx.Final?.Name ?? "none";
            Error = record.ErrorKind is { } kind ? errors.Of(kind) : null;
        }

        /// <summary><c>gen_ai.operation.name</c>; null for what is not a model call (an unknown URL).</summary>
        public string? Operation { get; }

        /// <summary>The alias: the model the client asked for when the configuration has it, else the one that served.</summary>
        public string Alias { get; }

        /// <summary>The deployment that answered (or was tried last); <c>none</c> before dispatch.</summary>
        public string Deployment { get; }

        /// <summary>The record's error kind or refusal code; null on success.</summary>
        public string? Error { get; }

        /// <summary>
        /// Never the client's string as such: a model name the configuration does not know is <c>_OTHER</c>, so a client
        /// sending random names cannot create series (the record keeps the name).
        /// </summary>
        public static string AliasOf(GatewayContext ctx)
        {
            var asked = ctx.Request.Model;
            if (!string.IsNullOrEmpty(asked) && ctx.Table.Aliases.TryGetValue(asked, out var known))
            {
                return known.Alias.Name;
            }

            return ctx.Route?.Alias.Name ?? (string.IsNullOrEmpty(asked) ? "none" : GenAiNames.Other);
        }
    }
}

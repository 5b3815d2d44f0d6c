using Switchyard.Canonical;

namespace Switchyard.Guardrails;

/// <summary>
/// Guardrails (input): for a request that a policy covers (its route's or alias's <c>guardrails:</c>, and its key's),
/// reads the prompt once into the canonical form and runs the input rules in order: sizes, text rules (PII, secrets,
/// regex, keywords: block, redact or flag), then the moderation call. A block answers here with a 400 in the caller's
/// format naming the rule, so nothing reaches an upstream. A redaction rewrites the canonical request, which Dispatch
/// then sends on the translated path (the body as the client wrote it is never forwarded). When output rules apply, or
/// placeholders are to be restored, it leaves an <see cref="OutputGuard"/> for Dispatch. Runs after route selection
/// (the policy depends on the serving alias) and before the cache, so a cached answer is never served to a prompt a
/// guard would refuse. No policy configured: one dictionary count, nothing else.
/// </summary>
public sealed class GuardInputStage(IPromptTokens tokens, Moderation moderation) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.Table.Config.Guardrails.Count == 0 || Policies(ctx) is not { Count: > 0 } policies)
        {
            return ValueTask.FromResult(true);
        }

        if (Parse(ctx) is { } refusal)
        {
            return ctx.RefuseAsync(refusal);
        }

        return RunAsync(ctx, policies);
    }

    private async ValueTask<bool> RunAsync(GatewayContext ctx, List<GuardrailPolicy> policies)
    {
        var ticket = ctx.Guard = new GuardTicket();
        var placeholders = new Placeholders();
        var request = ctx.Canonical!;
        var input = new List<GuardRule>();
        var output = new List<GuardRule>();
        foreach (var policy in policies)
        {
            input.AddRange(policy.Input);
            output.AddRange(policy.Output);
        }

        var prompt = new PromptText(request);
        var blocked = Sizes(ctx, input, prompt, ticket) ?? prompt.Redact(input, placeholders, ticket);
        if (blocked is { } refusal)
        {
            return await ctx.RefuseAsync(refusal).ConfigureAwait(false);
        }

        if (!ctx.DryRun && await moderation.CheckAsync(ctx, input, prompt, ticket).ConfigureAwait(false) is { } refused)
        {
            return await ctx.RefuseAsync(refused).ConfigureAwait(false);
        }

        ticket.Translate = prompt.Changed;
        if (output.Count > 0 || placeholders.HasRestores)
        {
            var schema = request.ResponseFormat is { Kind: ResponseFormatKind.JsonSchema, Schema: { } s } ? new SchemaCheck(s) : null;
            ticket.Output = new OutputGuard(output, placeholders, ticket, schema);
            ticket.Translate = true;
        }

        return true;
    }

    /// <summary>The <c>max_chars</c> and <c>max_tokens</c> rules: a block's refusal, or null (a flag is recorded).</summary>
    private ClientError? Sizes(GatewayContext ctx, List<GuardRule> rules, PromptText prompt, GuardTicket ticket)
    {
        foreach (var rule in rules)
        {
            var (size, unit) = rule.Kind switch
            {
                GuardRuleKind.MaxChars => (prompt.Characters, "characters"),
                GuardRuleKind.MaxTokens => (tokens.PromptTokens(prompt.Request, FirstModel(ctx)), "tokens"),
                _ => (0L, ""),
            };
            if (size <= rule.Limit || unit.Length == 0)
            {
                continue;
            }

            ticket.Record(new GuardEvent(GuardWhere.Input, rule.Name, rule.Action == GuardAction.Flag ? "flag" : "block"));
            if (rule.Action == GuardAction.Block)
            {
                return new ClientError(400, ErrorCategory.InvalidRequest,
                    $"The request was blocked by guardrail rule '{rule.Name}': the prompt has {size} {unit}, more than the {rule.Limit} allowed.", null, "guardrail_blocked");
            }
        }

        return null;
    }

    /// <summary>The upstream model of the alias's first deployment (its tokenizer counts the prompt); null when it has none.</summary>
    private static string? FirstModel(GatewayContext ctx) =>
        ctx.Route is { Deployments.Length: > 0 } route ? route.Deployments[0].Config.UpstreamModel : null;

    /// <summary>The policies that cover the request: the route's (which replace the alias's) or the alias's, then the key's; each once.</summary>
    internal static List<GuardrailPolicy>? Policies(GatewayContext ctx)
    {
        if (ctx.Operation is not (Operation.ChatCompletions or Operation.Messages or Operation.GenerateContent or Operation.Responses) || ctx.Route is not { } route)
        {
            return null;
        }

        var names = route.Alias.Guardrails;
        if (ctx.RouteName is { } routeName)
        {
            foreach (var rule in ctx.Table.Config.Routes)
            {
                names = rule.Name == routeName && rule.Guardrails is { } byRoute ? byRoute : names;
            }
        }

        var keyNames = ctx.Caller?.Policy.Guardrails ?? [];
        if (names.Count == 0 && keyNames.Count == 0)
        {
            return null;
        }

        var all = ctx.Table.Config.Guardrails;
        var result = new List<GuardrailPolicy>(names.Count + keyNames.Count);
        Add(result, all, names);
        Add(result, all, keyNames);
        return result;
    }

    private static void Add(List<GuardrailPolicy> result, System.Collections.Frozen.FrozenDictionary<string, GuardrailPolicy> all, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (all.TryGetValue(name, out var policy) && !result.Contains(policy))
            {
                result.Add(policy);
            }
        }
    }

    /// <summary>Reads the canonical request (as Dispatch would: the same refusal for a body it cannot translate).</summary>
    private static ClientError? Parse(GatewayContext ctx)
    {
        if (ctx.Canonical is not null)
        {
            return null;
        }

        try
        {
            var error = ctx.Format.Parse(ctx.Body!.Span, ctx.Http, out var request);
            ctx.Canonical = error is null ? request : null;
            return error;
        }
        catch (InvalidOperationException)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest,
                "The request body holds a string that is not valid Unicode (an unpaired surrogate escape such as \\ud800).", null, "invalid_unicode");
        }
    }
}

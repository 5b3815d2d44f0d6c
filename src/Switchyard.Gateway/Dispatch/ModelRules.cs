using Switchyard.Canonical;

namespace Switchyard.Dispatch;

/// <summary>
/// The one place where a model's own rules (its catalog entry, <see cref="ModelProfile"/>) are applied to the
/// canonical request, before any provider writer runs, so that nothing leaves that the provider would refuse
/// after a paid round trip. Per rule: refuse (400 in the caller's format, naming the parameter and the rule),
/// or, where the deployment's model sets <c>drop_unsupported_params</c>, adapt (clamp a range, drop a
/// parameter, turn thinking off) and report it in <c>x-switchyard-adapted</c> and the record. Two adaptations
/// never need permission: prompt-cache checkpoints the model cannot take are dropped (they only save money),
/// and a tool-loop turn that cannot carry the model's signed thinking is sent without thinking (there is no
/// way to send it that the provider accepts). Unknown models (no entry) pass unchanged.
/// </summary>
internal static partial class ModelRules
{
    /// <summary>
    /// The request to send to <paramref name="deployment"/>: <paramref name="request"/> itself when no rule
    /// changes anything, else an adapted copy. Null with <paramref name="refusal"/> set when a rule refuses.
    /// </summary>
    public static ChatRequest? Apply(ChatRequest request, DeploymentTarget deployment, bool allowAdapt, List<string> adapted,
        out UpstreamFailure? refusal)
    {
        var profile = deployment.Config.Profile;
        refusal = null;
        if (profile.Id is null)
        {
            return request;
        }

        var rules = new Pass(request, profile, deployment.Name, allowAdapt, adapted);
        rules.Thinking();
        rules.Sampling();
        rules.MaxTokens();
        rules.CacheCheckpoints();
        refusal = rules.Refusal;
        return refusal is null ? rules.Result : null;
    }

    /// <summary>One request's pass through the rules: copies the request on its first change, stops at the first refusal.</summary>
    private sealed partial class Pass(ChatRequest original, ModelProfile profile, string deployment, bool allowAdapt, List<string> adapted)
    {
        private ChatRequest? copy;

        public UpstreamFailure? Refusal { get; private set; }

        public ChatRequest Result => copy ?? original;

        private ChatRequest Current => copy ?? original;

        private ChatRequest Editable => copy ??= original.Copy();

        /// <summary>Adapts when allowed (returns true, with the change noted), else refuses naming the rule.</summary>
        private bool Adapt(string param, string rule, string change)
        {
            if (Refusal is not null)
            {
                return false;
            }

            if (!allowAdapt)
            {
                Refusal = new UpstreamFailure(FailureKind.UnsupportedCapability,
                    $"deployment '{deployment}' ({profile.Id}): {rule}; set drop_unsupported_params on the model to have the gateway {change} instead")
                {
                    Param = param,
                };
                return false;
            }

            Note($"{param}:{change}");
            return true;
        }

        private void Note(string change)
        {
            if (!adapted.Contains(change))
            {
                adapted.Add(change);
            }
        }

        public void Sampling()
        {
            var r = Current;
            if (r.Temperature is { } t && profile.Temperature is { } tr && !tr.Contains(t)
                && Adapt("temperature", Invariant($"temperature {t} is outside the model's range {tr}"), Invariant($"clamp it to {tr.Clamp(t)}")))
            {
                Editable.Temperature = tr.Clamp(t);
            }

            if (r.TopP is { } p && profile.TopP is { } pr && !pr.Contains(p)
                && Adapt("top_p", Invariant($"top_p {p} is outside the model's range {pr}"), Invariant($"clamp it to {pr.Clamp(p)}")))
            {
                Editable.TopP = pr.Clamp(p);
            }

            if (profile.TemperatureWithTopP == false && Current.Temperature is not null && Current.TopP is not null
                && Adapt("top_p", "the model takes temperature or top_p, not both", "drop top_p"))
            {
                Editable.TopP = null;
            }
        }

        public void MaxTokens()
        {
            if (Current.MaxTokens is { } max && profile.MaxOutputTokens is { } cap && max > cap
                && Adapt("max_tokens", $"max_tokens {max} exceeds the model's output limit of {cap} tokens", $"lower it to {cap}"))
            {
                Editable.MaxTokens = cap;
            }
        }

        private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
    }
}

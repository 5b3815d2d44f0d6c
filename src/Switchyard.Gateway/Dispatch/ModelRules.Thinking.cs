using Switchyard.Canonical;

namespace Switchyard.Dispatch;

/// <summary>The thinking rules: whether the model thinks at all, and what it forbids while it does.</summary>
internal static partial class ModelRules
{
    /// <summary>Adaptation noted when a tool-loop turn is sent without thinking (see <see cref="UnsignedToolTurn"/>).</summary>
    public const string UnsignedToolTurnNote = "reasoning:off-for-tool-turn-without-signed-thinking";

    /// <summary>
    /// True when the request continues a tool loop (its last message returns tool results) whose assistant turn
    /// does not begin with a signed thinking block: Claude refuses such a turn while thinking, and a client whose
    /// format cannot hold thinking blocks (OpenAI Chat) can never send one.
    /// </summary>
    internal static bool UnsignedToolTurn(ChatRequest r)
    {
        if (r.Messages.Count < 2 || r.Messages[^1] is not { Role: Role.User } last || !last.Content.Any(p => p is ToolResultPart))
        {
            return false;
        }

        var assistant = r.Messages.FindLast(m => m.Role == Role.Assistant);
        if (assistant is null || !assistant.Content.Any(p => p is ToolCallPart))
        {
            return false;
        }

        return assistant.Content.Count == 0 || assistant.Content[0] is not ThinkingPart { Signature: not null } and not ThinkingPart { RedactedData: not null };
    }

    private sealed partial class Pass
    {
        public void Thinking()
        {
            if (Current.Reasoning is not { } reasoning)
            {
                return;
            }

            if (reasoning.Effort == "none" || reasoning.BudgetTokens == 0)
            {
                NoThinking(reasoning);
                return;
            }

            if (profile.Thinking == ThinkingSupport.None)
            {
                if (Adapt("reasoning", "the model has no thinking mode", "drop the reasoning setting"))
                {
                    Editable.Reasoning = null;
                }

                return;
            }

            if (profile.WhileThinking is { } rules)
            {
                WhileThinking(rules);
            }
        }

        /// <summary><c>reasoning_effort: none</c>: nothing to send to a model that never thinks; a model that always thinks cannot honour it.</summary>
        private void NoThinking(ReasoningConfig reasoning)
        {
            if (profile.Thinking == ThinkingSupport.None)
            {
                Editable.Reasoning = null; // already what the client asked for: no setting to send
            }
            else if (profile.Thinking == ThinkingSupport.Always
                     && Adapt("reasoning", "the model always thinks, so reasoning effort 'none' cannot be honoured", "use its lowest effort, low"))
            {
                Editable.Reasoning = new ReasoningConfig("low", null, reasoning.IncludeThoughts);
            }
        }

        private void WhileThinking(ThinkingRules rules)
        {
            var r = Current;
            if (rules.SignedToolTurns && UnsignedToolTurn(r))
            {
                // Not a matter of policy: the provider refuses every way of sending this turn with thinking on.
                Editable.Reasoning = null;
                Note(UnsignedToolTurnNote);
                return;
            }

            if (!rules.ForcedToolChoice && r.ToolChoice is { Kind: ToolChoiceKind.Required or ToolChoiceKind.Function })
            {
                if (Adapt("tool_choice", "the model cannot be forced to call a tool while thinking", "turn thinking off for this request"))
                {
                    Editable.Reasoning = null;
                }

                return;
            }

            if (rules.Temperature is { } only && r.Temperature is { } t && t != only
                && Adapt("temperature", Invariant($"the model takes no temperature other than {only} while thinking"), "drop temperature"))
            {
                Editable.Temperature = null;
            }

            if (!rules.TopK && r.TopK is not null && Adapt("top_k", "the model takes no top_k while thinking", "drop top_k"))
            {
                Editable.TopK = null;
            }

            if (rules.TopPMin is { } min && r.TopP is { } p && p < min
                && Adapt("top_p", Invariant($"the model takes top_p of at least {min} while thinking"), Invariant($"raise it to {min}")))
            {
                Editable.TopP = min;
            }
        }
    }
}

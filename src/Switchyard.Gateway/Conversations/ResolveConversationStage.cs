using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Switchyard.Conversations;

/// <summary>
/// Conversations: for a format that can continue stored conversations (the Responses API), resolves what the
/// request refers to before routing: the conversation of <c>previous_response_id</c> and every
/// <c>item_reference</c>, from the caller's own responses only. Because it happens here, every provider is sent
/// the whole conversation through the canonical model, and a fallback to another provider mid-conversation
/// works. Unknown, expired and other keys' ids get the same refusal, in OpenAI's wording; nothing is sent
/// upstream. The request's answer gets a fresh gateway id and, unless <c>store</c> is false, is kept once it is
/// complete. In a dry run the same lookups and refusals happen, and nothing is bound or kept.
/// </summary>
public sealed class ResolveConversationStage(ResponseState state) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.Format is not IConversationFormat format)
        {
            return true;
        }

        if (format.ReadReferences(ctx.Body!.Span, out var refs) is { } invalid)
        {
            return await ctx.RefuseAsync(invalid).ConfigureAwait(false);
        }

        var settings = ctx.Table.Config.Responses;
        if (!settings.Store && (refs.PreviousResponseId is not null || refs.ItemIds.Count > 0))
        {
            return await ctx.RefuseAsync(StoreOff(refs)).ConfigureAwait(false);
        }

        var owner = ctx.KeyId ?? Caller.AnonymousId;
        var (history, historyError) = await HistoryAsync(owner, refs.PreviousResponseId).ConfigureAwait(false);
        var (referenced, referenceError) = historyError is null
            ? await ReferencedAsync(owner, refs.ItemIds, history).ConfigureAwait(false)
            : (null, null);
        if ((historyError ?? referenceError) is { } unresolved)
        {
            return await ctx.RefuseAsync(unresolved).ConfigureAwait(false);
        }

        var store = settings.Store && refs.Store;
        var turn = new ConversationTurn(NewResponseId(), owner, store)
        {
            PreviousResponseId = refs.PreviousResponseId,
            History = history,
            Referenced = (IReadOnlyDictionary<string, StoredItem>?)referenced ?? FrozenDictionary<string, StoredItem>.Empty,
            Sink = store && !ctx.DryRun ? state : null,
        };
        Account(ctx, turn);
        ctx.Conversation = turn;
        if (!ctx.DryRun)
        {
            format.Bind(turn);
        }

        return true;
    }

    /// <summary>A response id no upstream chose: <c>resp_</c> and 48 random hex digits, as long as OpenAI's.</summary>
    private static string NewResponseId() => "resp_" + RandomNumberGenerator.GetHexString(48, lowercase: true);

    private async ValueTask<(IReadOnlyList<StoredItem> History, ClientError? Error)> HistoryAsync(string owner, string? previousId)
    {
        if (previousId is null)
        {
            return ([], null);
        }

        var found = await state.ConversationAsync(owner, previousId).ConfigureAwait(false);
        return found.Outcome switch
        {
            StateOutcome.Found => (found.Value!, null),
            StateOutcome.Unavailable => ([], Unavailable(found.Detail)),
            _ => ([], new ClientError(400, ErrorCategory.InvalidRequest,
                $"Previous response with id '{previousId}' not found."
                + (found.Outcome == StateOutcome.NotKept ? $" It was answered but not kept: {found.Detail}. Send the whole conversation in 'input' instead." : ""),
                "previous_response_id", "previous_response_not_found")),
        };
    }

    private async ValueTask<(Dictionary<string, StoredItem>? Items, ClientError? Error)> ReferencedAsync(string owner, IReadOnlyList<string> ids,
        IReadOnlyList<StoredItem> history)
    {
        if (ids.Count == 0)
        {
            return (null, null);
        }

        var items = new Dictionary<string, StoredItem>(ids.Count, StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (history.Any(h => h.Id == id))
            {
                // What OpenAI answers too: the previous response already brings this item.
                return (null, new ClientError(400, ErrorCategory.InvalidRequest,
                    $"Duplicate item found with id '{id}'. Remove duplicate items from your input and try again.", "input", "duplicate_item"));
            }

            var found = await state.ItemAsync(owner, id).ConfigureAwait(false);
            switch (found.Outcome)
            {
                case StateOutcome.Found:
                    items[id] = found.Value!;
                    break;
                case StateOutcome.Unavailable:
                    return (null, Unavailable(found.Detail));
                default:
                    return (null, new ClientError(404, ErrorCategory.NotFound, $"Item with id '{id}' not found.", "input", "item_not_found"));
            }
        }

        return (items, null);
    }

    /// <summary>
    /// The stored conversation counts toward the prompt (context-window filtering) and may need vision, as the
    /// head parser would have counted it had the client sent it inline.
    /// </summary>
    private static void Account(GatewayContext ctx, ConversationTurn turn)
    {
        if (turn.History.Count == 0 && turn.Referenced.Count == 0)
        {
            return;
        }

        long chars = 0;
        foreach (var item in turn.History)
        {
            Count(ref ctx.Request.Needs, item, ref chars);
        }

        foreach (var item in turn.Referenced.Values)
        {
            Count(ref ctx.Request.Needs, item, ref chars);
        }

        ctx.Request.Needs.EstimatedPromptTokens = (int)Math.Min(int.MaxValue, ctx.Request.Needs.EstimatedPromptTokens + chars / 4);

        static void Count(ref RequestNeeds needs, StoredItem item, ref long chars)
        {
            chars += item.Json.Length;
            needs.Vision |= item.Json.Contains("\"input_image\"", StringComparison.Ordinal);
        }
    }

    private static ClientError Unavailable(string? detail) => new(503, ErrorCategory.ServerError,
        $"The gateway's response store could not be read ({detail}). Retry later, or send the whole conversation in 'input'.", null, "response_store_unavailable");

    private static ClientError StoreOff(ConversationReferences refs)
    {
        var param = refs.PreviousResponseId is not null ? "previous_response_id" : "input";
        var what = refs.PreviousResponseId is not null ? "'previous_response_id'" : "'item_reference' items";
        return new ClientError(400, ErrorCategory.InvalidRequest,
            $"{what} cannot be resolved: this gateway is configured not to store responses (responses.store: false). Send the whole conversation in 'input' instead.",
            param, "unsupported_parameter");
    }
}

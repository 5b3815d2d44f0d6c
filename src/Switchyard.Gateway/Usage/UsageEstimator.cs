using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Usage;

/// <summary>
/// Meters what the upstream never reported (docs/adr/0005-metering.md): when a committed answer ended without
/// usage (a cut, a stall, a client that left, shutdown, a server that omits usage), the prompt is counted from
/// the request body and the completion from what was delivered, with a real tokenizer; a hedge that lost the
/// race is costed the same way from what it was sent. Runs in Settle, once per request, and does nothing at
/// all when the upstream reported usage for a complete answer (the normal path).
/// </summary>
public sealed class UsageEstimator(TokenCounter counter) : IDeliveredTokens, IPromptTokens
{
    /// <inheritdoc />
    public long PromptTokens(ChatRequest request, string? model) => new PromptCount(counter, TokenCounter.EncodingFor(model)).Of(request);

    /// <summary>Source of counts the upstream reported.</summary>
    public const string Reported = "reported";

    /// <summary>Source of counts of which at least one is the gateway's own estimate.</summary>
    public const string Estimated = "estimated";

    /// <summary>Tokens of one image or document whose size the gateway cannot see (OpenAI's low-detail image cost: a floor).</summary>
    internal const int AttachmentTokens = 85;

    /// <summary>Per message (role and separators) and per reply (its priming), as OpenAI's cookbook counts chat prompts.</summary>
    internal const int MessageOverhead = 3;

    /// <summary>Bytes per token where no text can be read (a body the adapter cannot parse): the usual rule of thumb for English.</summary>
    internal const int BytesPerToken = 4;

    /// <summary>
    /// Completes <paramref name="ctx"/>'s usage: <see cref="GatewayContext.Usage"/> gets what the upstream never
    /// reported, <see cref="GatewayContext.UsageSource"/> says where the counts come from, and a hedge loser's cost
    /// goes to its <see cref="DeliveredContent.Billed"/>. Needs the request body, so it runs before it is released.
    /// </summary>
    public void Complete(GatewayContext ctx)
    {
        if (ctx.Attempts == 0 || MediaOperations.IsMedia(ctx.Operation))
        {
            return; // no upstream was called, or a media answer that metered itself (MediaAttempts): nothing to estimate
        }

        MeterAnswer(ctx);
        if (ctx.HedgeLoser is { } loser)
        {
            loser.Billed = MeterLoser(ctx, loser);
        }
    }

    /// <inheritdoc />
    public long OutputTokens(DeliveredContent delivered) =>
        Read(delivered, TokenCounter.EncodingFor(delivered.Deployment.Config.UpstreamModel)).Tokens;

    /// <summary>The committed answer: reported when the upstream said everything, else the missing counts estimated.</summary>
    private void MeterAnswer(GatewayContext ctx)
    {
        var reported = ctx.Usage;
        var delivered = ctx.Delivered;
        var needPrompt = delivered is not null && reported.InputTokens == 0;
        var needCompletion = delivered is { IsEmpty: false } && (!delivered.Complete || reported.OutputTokens == 0) && ctx.Operation != Operation.Embeddings;
        if (!needPrompt && !needCompletion)
        {
            ctx.UsageSource = reported.InputTokens > 0 || reported.OutputTokens > 0 ? Reported : null;
            return;
        }

        var encoding = TokenCounter.EncodingFor(delivered!.Deployment.Config.UpstreamModel);
        if (needPrompt)
        {
            ctx.Usage.InputTokens = PromptTokens(ctx, encoding);
        }

        if (needCompletion)
        {
            // What reached the client is a floor; an upstream's partial count (Anthropic's running total) may be higher.
            ctx.Usage.OutputTokens = Math.Max(reported.OutputTokens, Read(delivered, encoding).Tokens);
        }

        ctx.UsageSource = Estimated;
    }

    /// <summary>A hedge loser: what it reported before it was cancelled, else the prompt it was sent and what it sent back.</summary>
    private TokenUsage MeterLoser(GatewayContext ctx, DeliveredContent loser)
    {
        var encoding = TokenCounter.EncodingFor(loser.Deployment.Config.UpstreamModel);
        var (tokens, usage) = Read(loser, encoding);
        var reported = loser.Reported;
        reported.Merge(usage);
        var outputReported = reported.OutputTokens > 0 && loser.Complete;
        var billed = new TokenUsage
        {
            InputTokens = reported.InputTokens > 0 ? reported.InputTokens : PromptTokens(ctx, encoding),
            OutputTokens = outputReported ? reported.OutputTokens : Math.Max(reported.OutputTokens, tokens),
        };
        if (reported.InputTokens > 0)
        {
            // Reported input comes with its cache split, which its cost depends on (a cache read costs a tenth).
            billed.CacheReadTokens = reported.CacheReadTokens;
            billed.CacheWriteTokens = reported.CacheWriteTokens;
            billed.CacheWrite1hTokens = reported.CacheWrite1hTokens;
        }

        billed.ReasoningTokens = outputReported ? reported.ReasoningTokens : 0;
        return billed;
    }

    /// <summary>
    /// Tokens of what <paramref name="delivered"/> holds, plus the part past its bound estimated at the ratio measured
    /// on the kept part; and the usage found in it (a passthrough stream's own usage events, for a hedge loser).
    /// </summary>
    private (long Tokens, TokenUsage Usage) Read(DeliveredContent delivered, TokenEncoding encoding)
    {
        var (text, usage, unread) = Text(delivered);
        long tokens = counter.Count(text, encoding);
        var keptBytes = delivered.Kept.Length - unread;
        var rest = delivered.OverflowBytes + unread;
        if (rest > 0)
        {
            tokens += tokens > 0 && keptBytes > 0
                ? (long)Math.Ceiling((double)rest * tokens / keptBytes)
                : (rest + BytesPerToken - 1) / BytesPerToken;
        }

        return (tokens, usage);
    }

    /// <summary>The text kept, read back per its form; the bytes that could not be read are returned for the byte-ratio estimate.</summary>
    private static (string? Text, TokenUsage Usage, int Unread) Text(DeliveredContent delivered)
    {
        var kept = delivered.Kept;
        switch (delivered.Form)
        {
            case DeliveredForm.Text:
                return (Encoding.UTF8.GetString(kept), default, 0);
            case DeliveredForm.UpstreamStream when delivered.Adapter is { } adapter:
                return Decoded(adapter.CreateStreamDecoder(delivered.Deployment), kept);
            case DeliveredForm.UpstreamBody when delivered.Adapter is { } adapter && delivered.OverflowBytes == 0:
                try
                {
                    var answer = adapter.ParseResponse(kept, delivered.Deployment);
                    return (AnswerText(answer), answer.Usage, 0);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
                {
                    return (null, default, kept.Length);
                }

            default:
                return (null, default, kept.Length);
        }
    }

    /// <summary>The text of relayed stream bytes, decoded with the upstream protocol's own decoder (the last partial frame is left unread).</summary>
    private static (string? Text, TokenUsage Usage, int Unread) Decoded(IStreamDecoder decoder, ReadOnlySpan<byte> kept)
    {
        var events = new List<StreamEvent>();
        int consumed;
        try
        {
            consumed = decoder.Decode(kept, events, out _);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return (null, default, kept.Length);
        }

        var text = new StringBuilder();
        var usage = default(TokenUsage);
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case StreamEventKind.TextDelta or StreamEventKind.ThinkingDelta or StreamEventKind.ToolCallDelta:
                    text.Append(e.Text);
                    break;
                case StreamEventKind.ToolCallStart:
                    text.Append(e.Name);
                    break;
                case StreamEventKind.Usage:
                    usage.Merge(e.Usage);
                    break;
            }
        }

        return (text.ToString(), usage, kept.Length - consumed);
    }

    private static string AnswerText(ChatResponse answer)
    {
        var text = new StringBuilder();
        foreach (var part in answer.Content)
        {
            text.Append(part switch
            {
                TextPart t => t.Text,
                ThinkingPart t => t.Text,
                ToolCallPart c => c.Name + c.Arguments,
                _ => null,
            });
        }

        return text.Append(answer.Refusal).ToString();
    }

    /// <summary>
    /// The prompt, counted from the request body (still held until Settle releases it): the canonical request's
    /// text, tool calls and results, tool definitions and schema, with OpenAI's per-message overhead; an embeddings
    /// request's inputs. A body no format can read is counted at <see cref="BytesPerToken"/>.
    /// </summary>
    private long PromptTokens(GatewayContext ctx, TokenEncoding encoding)
    {
        if (ctx.Body is not { } body)
        {
            return 0;
        }

        if (ctx.Operation == Operation.Embeddings)
        {
            return EmbeddingsInputTokens(body.Span, encoding);
        }

        var request = ctx.Canonical ?? Parse(ctx, body);
        return request is null
            ? Math.Max(1, (body.Length + BytesPerToken - 1) / BytesPerToken)
            : new PromptCount(counter, encoding).Of(request);
    }

    private static ChatRequest? Parse(GatewayContext ctx, RequestBody body)
    {
        try
        {
            return ctx.Format.Parse(body.Span, ctx.Http, out var request) is null ? request : null;
        }
        catch (InvalidOperationException)
        {
            return null; // a string that is not valid Unicode: counted from its bytes instead
        }
    }

    /// <summary>The <c>input</c> strings of an OpenAI embeddings body (a token array counts one per element).</summary>
    private long EmbeddingsInputTokens(ReadOnlySpan<byte> body, TokenEncoding encoding)
    {
        long tokens = 0;
        try
        {
            var reader = new Utf8JsonReader(body);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var input = reader.ValueTextEquals("input"u8);
                reader.Read();
                if (!input)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType == JsonTokenType.String)
                {
                    tokens += counter.Count(reader.GetString(), encoding);
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                // An array of strings, or token arrays (one token per number, nested or not).
                var depth = reader.CurrentDepth;
                while (reader.Read() && reader.CurrentDepth > depth)
                {
                    tokens += reader.TokenType == JsonTokenType.String ? counter.Count(reader.GetString(), encoding)
                        : reader.TokenType == JsonTokenType.Number ? 1 : 0;
                }
            }
        }
        catch (JsonException)
        {
        }

        return Math.Max(tokens, 1);
    }
}

using Switchyard.Canonical;

namespace Switchyard.Usage;

/// <summary>
/// Counts a canonical request's prompt the way OpenAI's cookbook counts chat prompts: the tokens of every text,
/// plus <see cref="UsageEstimator.MessageOverhead"/> per message and once for the reply's priming. Tool calls,
/// tool results, tool definitions and a response schema count as their text; an image or document counts
/// <see cref="UsageEstimator.AttachmentTokens"/> (the gateway cannot see its pixels: a floor, stated as such).
/// </summary>
internal readonly struct PromptCount(TokenCounter counter, TokenEncoding encoding)
{
    /// <summary>The request's prompt tokens.</summary>
    public long Of(ChatRequest request)
    {
        long tokens = UsageEstimator.MessageOverhead; // the reply's priming
        if (request.System.Count > 0)
        {
            tokens += UsageEstimator.MessageOverhead + Parts(request.System);
        }

        foreach (var message in request.Messages)
        {
            tokens += UsageEstimator.MessageOverhead + Parts(message.Content) + counter.Count(message.Name, encoding);
        }

        foreach (var tool in request.Tools)
        {
            tokens += counter.Count(tool.Name, encoding) + counter.Count(tool.Description, encoding)
                      + (tool.Parameters is { } schema ? counter.Count(schema.GetRawText(), encoding) : 0);
        }

        if (request.ResponseFormat?.Schema is { } format)
        {
            tokens += counter.Count(format.GetRawText(), encoding);
        }

        return tokens;
    }

    private long Parts(IEnumerable<ContentPart> parts)
    {
        long tokens = 0;
        foreach (var part in parts)
        {
            tokens += part switch
            {
                TextPart text => counter.Count(text.Text, encoding),
                ThinkingPart thinking => counter.Count(thinking.Text, encoding),
                ToolCallPart call => counter.Count(call.Name, encoding) + counter.Count(call.Arguments, encoding),
                ToolResultPart result => Parts(result.Content),
                ImagePart or DocumentPart => UsageEstimator.AttachmentTokens,
                _ => 0,
            };
        }

        return tokens;
    }
}

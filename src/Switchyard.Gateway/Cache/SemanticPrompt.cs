using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Cache;

/// <summary>
/// What the semantic cache compares: the conversation's text (embedded) and the system prompt (which must match
/// exactly, as part of the partition). Only conversations of text alone with at most <c>max_turns</c> user turns,
/// ending with the user's, are looked up: an image, a document, a tool call or result, or thinking makes the request
/// exact-only, as does a longer conversation (its early turns would be ignored by a short embedding, the way to serve
/// one conversation's answer to another).
/// </summary>
/// <param name="Text">The embedded text: a single message as it is; several as <c>user: …</c> / <c>assistant: …</c> lines.</param>
/// <param name="System">The system prompt's text, joined (empty when none).</param>
public sealed record SemanticPrompt(string Text, string System)
{
    /// <summary>The prompt of <paramref name="request"/>, or null when the semantic cache does not apply to it.</summary>
    public static SemanticPrompt? Of(ChatRequest request, int maxTurns)
    {
        if (request.Messages.Count == 0 || request.Messages[^1].Role != Role.User || !TextOnly(request.System))
        {
            return null;
        }

        var turns = 0;
        foreach (var message in request.Messages)
        {
            if (!TextOnly(message.Content))
            {
                return null;
            }

            turns += message.Role == Role.User ? 1 : 0;
        }

        if (turns > maxTurns)
        {
            return null;
        }

        return new SemanticPrompt(Conversation(request.Messages), Join(request.System));
    }

    private static string Conversation(List<Message> messages)
    {
        if (messages.Count == 1)
        {
            return Join(messages[0].Content);
        }

        var text = new StringBuilder();
        foreach (var message in messages)
        {
            text.Append(message.Role == Role.User ? "user: " : "assistant: ").Append(Join(message.Content)).Append('\n');
        }

        return text.ToString(0, text.Length - 1);
    }

    private static bool TextOnly(List<ContentPart> parts)
    {
        foreach (var part in parts)
        {
            if (part is not TextPart)
            {
                return false;
            }
        }

        return true;
    }

    private static string Join(List<ContentPart> parts) => parts.Count == 1 ? ((TextPart)parts[0]).Text
        : string.Join("\n", parts.Select(static p => ((TextPart)p).Text));
}

using Switchyard.Canonical;

namespace Switchyard.Guardrails;

/// <summary>
/// The text of a canonical prompt that input rules read: system parts, every message's text (both roles), and the
/// text of tool results. Images, documents and tool-call arguments are not read (stated in docs/adr/0016).
/// Redaction rewrites the parts in place: the request is this request's own parse, shared with nobody.
/// </summary>
internal sealed class PromptText(ChatRequest request)
{
    /// <summary>The canonical request.</summary>
    public ChatRequest Request => request;

    /// <summary>A redaction changed the prompt (so it must be sent translated, never as the client's body).</summary>
    public bool Changed { get; private set; }

    /// <summary>Characters of text in the prompt.</summary>
    public long Characters
    {
        get
        {
            long n = 0;
            ForEach(text => n += text.Length);
            return n;
        }
    }

    /// <summary>All the prompt's text, one part per line (what a moderation call reads).</summary>
    public string Joined()
    {
        var parts = new List<string>();
        ForEach(parts.Add);
        return string.Join('\n', parts);
    }

    /// <summary>Runs the text rules over every part: the refusal of the first block, or null (redactions applied, flags recorded).</summary>
    public ClientError? Redact(IReadOnlyList<GuardRule> rules, Placeholders placeholders, GuardTicket ticket)
    {
        var any = false;
        foreach (var rule in rules)
        {
            any |= Scanner.IsTextRule(rule.Kind);
        }

        if (!any)
        {
            return null;
        }

        ClientError? blocked = null;
        Rewrite(request.System, rules, placeholders, ticket, ref blocked);
        foreach (var message in request.Messages)
        {
            Rewrite(message.Content, rules, placeholders, ticket, ref blocked);
        }

        return blocked;
    }

    private void Rewrite(List<ContentPart> parts, IReadOnlyList<GuardRule> rules, Placeholders placeholders, GuardTicket ticket, ref ClientError? blocked)
    {
        for (var i = 0; i < parts.Count && blocked is null; i++)
        {
            switch (parts[i])
            {
                case TextPart text:
                    var result = Scanner.Apply(text.Text, text.Text.Length, Scanner.Scan(rules, text.Text, null), placeholders, ticket, GuardWhere.Input);
                    if (result.Blocked is { } rule)
                    {
                        blocked = new ClientError(400, ErrorCategory.InvalidRequest,
                            $"The request was blocked by guardrail rule '{rule.Name}'{OutputGuard.What(result.BlockedLabel)}.", null, "guardrail_blocked");
                    }
                    else if (!ReferenceEquals(result.Text, text.Text))
                    {
                        parts[i] = text with { Text = result.Text };
                        Changed = true;
                    }

                    break;
                case ToolResultPart tool when tool.Content.Count > 0:
                    var inner = tool.Content.ToList();
                    Rewrite(inner, rules, placeholders, ticket, ref blocked);
                    parts[i] = tool with { Content = inner };
                    break;
            }
        }
    }

    private void ForEach(Action<string> visit)
    {
        Visit(request.System, visit);
        foreach (var message in request.Messages)
        {
            Visit(message.Content, visit);
        }
    }

    private static void Visit(IEnumerable<ContentPart> parts, Action<string> visit)
    {
        foreach (var part in parts)
        {
            if (part is TextPart text)
            {
                visit(text.Text);
            }
            else if (part is ToolResultPart tool)
            {
                Visit(tool.Content, visit);
            }
        }
    }
}

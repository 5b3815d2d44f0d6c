using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// An assistant text reply. Streamed as: a role delta (<c>{"role":"assistant","content":"","refusal":null}</c>),
/// one delta per content piece, an empty delta with <c>finish_reason</c>, the usage chunk when requested, <c>[DONE]</c>.
/// </summary>
/// <param name="Content">The full assistant content.</param>
public sealed record TextCompletionBehavior(string Content) : CompletionBehavior("stop")
{
    /// <summary>How many content pieces to stream when <see cref="Pieces"/> is not given.</summary>
    public int Chunks { get; init; } = 3;

    /// <summary>Exact content pieces to stream; their concatenation must equal <see cref="Content"/>.</summary>
    public IReadOnlyList<string>? Pieces { get; init; }

    internal override void Validate()
    {
        if (Pieces is not null && string.Concat(Pieces) != Content)
        {
            throw new ArgumentException("Pieces do not concatenate to Content.");
        }
    }

    internal override JsonObject BuildMessage(CompletionFrame frame) => new()
    {
        ["role"] = "assistant",
        ["content"] = Content,
        ["refusal"] = null,
        ["annotations"] = new JsonArray(),
    };

    internal override IEnumerable<JsonObject> BuildDeltas(CompletionFrame frame)
    {
        yield return new JsonObject { ["role"] = "assistant", ["content"] = "", ["refusal"] = null };
        foreach (var piece in Pieces ?? TextSplitter.Split(Content, Chunks))
        {
            yield return new JsonObject { ["content"] = piece };
        }
    }
}

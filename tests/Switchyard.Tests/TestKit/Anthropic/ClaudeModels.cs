using System.Text.RegularExpressions;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>
/// What one Claude model family accepts, as Anthropic and AWS document it.
/// </summary>
/// <param name="Family">The id without its date, e.g. <c>claude-opus-4-1</c>.</param>
/// <param name="MaxOutput">The most <c>max_tokens</c> the model takes, or null when the fake does not hold it.</param>
/// <param name="Thinking">Whether the model takes <c>thinking</c> (extended thinking).</param>
/// <param name="ExclusiveSampling">Whether the model refuses <c>temperature</c> and <c>top_p</c> together.</param>
/// <param name="BedrockCaching">Whether Bedrock takes <c>cachePoint</c> blocks for the model.</param>
public sealed record ClaudeModel(string Family, int? MaxOutput, bool Thinking, bool ExclusiveSampling, bool BedrockCaching);

/// <summary>
/// The Claude models the fakes know, typed from public documentation rather than the gateway's catalog, so that
/// the fakes and the gateway state the rules independently:
/// <list type="bullet">
/// <item>Max output and extended-thinking support: Anthropic's models overview
/// (https://docs.anthropic.com/en/docs/about-claude/models/overview, the comparison and legacy tables) and the
/// extended-thinking page's supported-model list.</item>
/// <item>Temperature and top_p refused together: the Messages API reference on <c>top_p</c> ("alter temperature or
/// top_p, but not both") and the API's own 400 on Claude 4.5-generation models and Opus 4.1.</item>
/// <item>Bedrock prompt caching: AWS's table in https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
/// (Claude 3 Haiku/Sonnet/Opus and Claude 3.5 Sonnet are not in it; 3.5 Sonnet v2 was a closed preview).</item>
/// </list>
/// An id the table does not know gets only the model-independent rules.
/// </summary>
public static partial class ClaudeModels
{
    private static readonly ClaudeModel[] Table =
    [
        new("claude-3-haiku", 4096, Thinking: false, ExclusiveSampling: false, BedrockCaching: false),
        new("claude-3-sonnet", 4096, Thinking: false, ExclusiveSampling: false, BedrockCaching: false),
        new("claude-3-opus", 4096, Thinking: false, ExclusiveSampling: false, BedrockCaching: false),
        new("claude-3-5-haiku", 8192, Thinking: false, ExclusiveSampling: false, BedrockCaching: true),
        new("claude-3-5-sonnet", 8192, Thinking: false, ExclusiveSampling: false, BedrockCaching: false),
        new("claude-3-7-sonnet", 64000, Thinking: true, ExclusiveSampling: false, BedrockCaching: true),
        new("claude-sonnet-4", 64000, Thinking: true, ExclusiveSampling: false, BedrockCaching: true),
        new("claude-opus-4", 32000, Thinking: true, ExclusiveSampling: false, BedrockCaching: true),
        new("claude-opus-4-1", 32000, Thinking: true, ExclusiveSampling: true, BedrockCaching: true),
        new("claude-sonnet-4-5", 64000, Thinking: true, ExclusiveSampling: true, BedrockCaching: true),
        new("claude-haiku-4-5", 64000, Thinking: true, ExclusiveSampling: true, BedrockCaching: true),
        new("claude-opus-4-5", 64000, Thinking: true, ExclusiveSampling: true, BedrockCaching: true),
    ];

    /// <summary>
    /// The family of <paramref name="modelId"/> in any of its spellings: the API id or alias
    /// (<c>claude-3-haiku-20240307</c>, <c>claude-3-5-sonnet-latest</c>, <c>claude-opus-4-0</c>), Vertex's
    /// (<c>claude-3-haiku@20240307</c>) or Bedrock's (<c>anthropic.claude-3-haiku-20240307-v1:0</c>, maybe behind a
    /// <c>us.</c>/<c>eu.</c>/<c>global.</c> profile prefix or inside an ARN). Null when unknown.
    /// </summary>
    public static ClaudeModel? Find(string modelId)
    {
        var id = BareId(modelId);
        ClaudeModel? best = null;
        foreach (var model in Table)
        {
            // The longest family wins, and only at a version boundary: claude-opus-4-1-2025… is Opus 4.1, never Opus 4,
            // and claude-sonnet-4-6 (not in the table) is unknown rather than Sonnet 4.
            if (id.StartsWith(model.Family, StringComparison.Ordinal) && Boundary().IsMatch(id[model.Family.Length..])
                && (best is null || model.Family.Length > best.Family.Length))
            {
                best = model;
            }
        }

        return best;
    }

    /// <summary>The id as Anthropic names it in messages: Vertex's <c>@</c> becomes <c>-</c>, Bedrock's prefixes go.</summary>
    public static string DisplayId(string modelId)
    {
        var id = BareId(modelId).Replace('@', '-');
        var version = id.IndexOf("-v", StringComparison.Ordinal) is var v and >= 0 && Regex.IsMatch(id[v..], @"^-v\d+(:\d+)?$") ? v : -1;
        return version >= 0 ? id[..version] : id;
    }

    private static string BareId(string modelId)
    {
        var id = modelId[(modelId.LastIndexOf('/') + 1)..];
        var anthropic = id.IndexOf("anthropic.", StringComparison.Ordinal);
        return anthropic >= 0 ? id[(anthropic + "anthropic.".Length)..] : id;
    }

    /// <summary>What may follow a family: nothing, a Vertex <c>@date</c>, a dated id, an alias, or Bedrock's <c>-vN:M</c>.</summary>
    [GeneratedRegex(@"^($|@|-\d{8}|-latest$|-0$|-v\d)")]
    private static partial Regex Boundary();
}

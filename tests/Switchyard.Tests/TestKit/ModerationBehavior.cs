using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A <c>POST /v1/moderations</c> answer in OpenAI's shape: one result per request, <c>flagged</c> (and the
/// <c>violence</c> category) when the input contains one of <see cref="FlaggedWords"/> (case-insensitive).
/// </summary>
public sealed record ModerationBehavior : UpstreamBehavior
{
    /// <summary>Words that make the input flagged.</summary>
    public IReadOnlyList<string> FlaggedWords { get; init; } = ["attack-plan"];

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.Moderations;

    internal override Task ExecuteAsync(BehaviorContext context)
    {
        var input = context.Request.Json?["input"]?.ToString() ?? "";
        var flagged = FlaggedWords.Any(w => input.Contains(w, StringComparison.OrdinalIgnoreCase));
        var body = new JsonObject
        {
            ["id"] = "modr-" + context.Request.Sequence,
            ["model"] = context.Request.Model ?? "omni-moderation-latest",
            ["results"] = new JsonArray(new JsonObject
            {
                ["flagged"] = flagged,
                ["categories"] = new JsonObject { ["violence"] = flagged, ["harassment"] = false },
                ["category_scores"] = new JsonObject { ["violence"] = flagged ? 0.97 : 0.01, ["harassment"] = 0.0 },
            }),
        };
        return context.WriteJsonAsync(200, body.ToJsonString());
    }
}

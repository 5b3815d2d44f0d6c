namespace Switchyard.Providers.Anthropic;

/// <summary>
/// What one <c>anthropic-version</c> accepts, where it matters to translation. The version is the provider's
/// <c>settings.anthropic_version</c> (default <see cref="DefaultVersion"/>); a version between two known ones
/// follows the older (versions only ever add rules), and one newer than all follows the newest.
/// </summary>
/// <param name="Version">The version date this rule set starts at.</param>
/// <param name="SamplingParameters">
/// <c>temperature</c>, <c>top_p</c> and <c>top_k</c> are accepted. 2023-06-01: yes. 2026-10-21: no — assumed from
/// the official SDK (NuGet Anthropic 13.13.0), which sends <c>anthropic-version: 2026-10-21</c> and whose
/// <c>MessageCreateParams</c> has none of the three; no changelog text for that version could be found.
/// </param>
/// <param name="EffortControl">
/// Reasoning given as an effort level (no budget) is sent as adaptive thinking plus <c>output_config.effort</c>
/// rather than converted to a <c>budget_tokens</c>. Same source: the 13.13.0 SDK documents <c>thinking.type:
/// adaptive</c> and <c>output_config.effort</c> (low, medium, high, xhigh, max), and warns that manual
/// <c>thinking.type: enabled</c> is deprecated on recent models.
/// </param>
public sealed record AnthropicVersionRules(string Version, bool SamplingParameters, bool EffortControl)
{
    /// <summary>The version sent when the provider sets none: the one every Anthropic model accepts.</summary>
    public const string DefaultVersion = "2023-06-01";

    /// <summary>Known versions, oldest first.</summary>
    private static readonly AnthropicVersionRules[] Table =
    [
        new(DefaultVersion, SamplingParameters: true, EffortControl: false),
        new("2026-10-21", SamplingParameters: false, EffortControl: true),
    ];

    /// <summary>The rules for <paramref name="version"/> (ISO dates compare correctly as ordinal strings).</summary>
    public static AnthropicVersionRules For(string? version)
    {
        var rules = Table[0];
        foreach (var candidate in Table)
        {
            if (string.CompareOrdinal(candidate.Version, version ?? DefaultVersion) <= 0)
            {
                rules = candidate;
            }
        }

        return rules;
    }
}

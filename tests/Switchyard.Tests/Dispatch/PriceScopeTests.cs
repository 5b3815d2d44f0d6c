using Switchyard.Configuration;
using Switchyard.Dispatch;

namespace Switchyard.Tests.Dispatch;

/// <summary>
/// The price-based fallback scopes (<c>downgrade</c>, <c>upgrade</c> within <c>max_cost_multiplier</c>) compare the
/// effective price: the file's <c>price:</c> where it sets one, else the price book's entry for the model.
/// </summary>
public sealed class PriceScopeTests
{
    private static PlanStep[] Plan(params string[] names)
    {
        const string yaml = """
            providers:
              openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              big: { provider: openai, model: gpt-4o }
              small: { provider: openai, model: gpt-4o-mini }
              mid: { provider: openai, model: gpt-4.1-mini }
              own: { provider: openai, model: gpt-4o-mini, price: { input: 50, output: 50 } }
              unknown: { provider: openai, model: gpt-unknown }
            """;
        var config = ConfigLoader.LoadYaml(yaml, "t", n => n == "K" ? "k" : null).Config!;
        return [.. names.Select(n => new PlanStep(DeploymentTarget.Create(config.Deployments[n]), PlanReason.Primary))];
    }

    [Fact]
    public void NextStep_Cheaper_BookPricesCompared()
    {
        // gpt-4o $12.50 blended; unknown has no price (outside any price scope); gpt-4o-mini $0.75.
        Assert.Equal(2, Dispatcher.NextStep(Plan("big", "unknown", "small"), 0, SwitchScope.Cheaper, FallbackPolicy.Default));
    }

    [Fact]
    public void NextStep_Pricier_OverrideCountsAndTheMultiplierBounds()
    {
        // From gpt-4o-mini ($0.75): gpt-4.1-mini ($2.00) is within 3×; the override ($100) is not.
        var policy = FallbackPolicy.Default with { MaxCostMultiplier = 3 };
        Assert.Equal(2, Dispatcher.NextStep(Plan("small", "own", "mid"), 0, SwitchScope.Pricier, policy));
        Assert.Equal(-1, Dispatcher.NextStep(Plan("small", "own"), 0, SwitchScope.Pricier, policy));
    }
}

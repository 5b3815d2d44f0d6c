using Switchyard.Providers;
using Switchyard.Tests.Configuration;

namespace Switchyard.Tests.Providers;

/// <summary><c>switchyard prices</c>: the book with its sources, and each deployment's price and where it comes from.</summary>
public sealed class PriceListingTests
{
    [Fact]
    public void Book_EveryListWithItsSourceAndEntries()
    {
        var text = PriceListing.Book(ProviderCatalog.Default);

        Assert.Contains("anthropic / anthropic: https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-12-06)", text, StringComparison.Ordinal);
        Assert.Contains("openai-compatible / groq: preset groq,", text, StringComparison.Ordinal);
        Assert.Matches(@"claude-sonnet-4-5\s+2026-12-06\s+3\s+0\.3\s+3\.75\s+6\s+15", text);
        Assert.Matches(@"gemini-3\.8-flash\s+2027-01-01\s+1\.5\s+-\s+-\s+-\s+7\.5", text);
    }

    [Fact]
    public void Deployments_PriceVersionOrUnpriced()
    {
        var config = ConfigTestSupport.LoadValid("""
            providers:
              openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
              local: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              book: { provider: openai, model: gpt-4o-mini }
              own: { provider: openai, model: gpt-4o-mini, price: { input: 1, output: 2 } }
              nobody: { provider: local, model: mystery }
            """, ConfigTestSupport.Env(("K", "k")));

        var text = PriceListing.Deployments(config);

        Assert.Matches(@"book \(book:2026-12-06\)\s+2026-12-06\s+0\.15\s+0\.075", text);
        Assert.Matches(@"own \(config\)\s+config\s+1\s+-", text);
        Assert.Contains("nobody (unpriced: set price:)", text, StringComparison.Ordinal);
        Assert.Contains("local/mystery", text, StringComparison.Ordinal);
    }
}

using Switchyard.Providers;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.AzureOpenAI;
using Switchyard.Providers.Bedrock;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Providers.Vertex;

namespace Switchyard.Tests.Providers;

/// <summary>
/// The price data shipped in the provider folders: every file is embedded, read by its descriptor and valid; every
/// entry says where it was read and from when it applies; and the documented model id forms find their entries.
/// </summary>
public sealed class PriceBookDataTests
{
    private static readonly DateOnly Today = new(2026, 12, 6);

    private static IEnumerable<PriceList> AllLists() => ProviderCatalog.Default.Descriptors.SelectMany(d => d.Prices.Lists);

    [Fact]
    public void EmbeddedFiles_EachReadByADescriptor()
    {
        var embedded = typeof(ProviderCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Switchyard.Providers.", StringComparison.Ordinal) && n.Contains(".prices", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var read = AllLists().Select(l => l.Name).ToHashSet(StringComparer.Ordinal);

        Assert.True(embedded.Count >= 8, "expected a price file per built-in provider: " + string.Join(", ", embedded));
        Assert.All(embedded, name => Assert.Contains(name, read));
    }

    [Fact]
    public void EveryBuiltInProvider_HasPrices()
    {
        // Jina sells its API in token packs; no list rate was found to source (docs/adr/0017-beyond-chat.md), so its deployments need price:.
        Assert.All(ProviderCatalog.Default.Descriptors.Where(d => d.Kind != "jina"), d => Assert.NotEmpty(d.Prices.Lists.SelectMany(l => l.Entries)));
    }

    [Fact]
    public void EveryEntry_HasASourceAndADate_AndNoModelTwiceOnOneDate()
    {
        foreach (var list in AllLists())
        {
            Assert.True(list.Source.Scheme is "https" or "urn", $"{list.Name}: source {list.Source}");
            Assert.NotEqual(default, list.Read);
            foreach (var entry in list.Entries)
            {
                Assert.True(entry.Source.Scheme is "https" or "urn", $"{list.Name} {entry.Model}: source {entry.Source}");
                Assert.NotNull(entry.Price.EffectiveFrom);
                Assert.Equal($"book:{entry.Price.EffectiveFrom:yyyy-MM-dd}", entry.Price.Version);
                Assert.True(entry.Price.Input >= 0 && entry.Price.Output >= 0);
            }

            var twice = list.Entries.GroupBy(e => (e.Model, e.Price.EffectiveFrom)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{list.Name}: {string.Join(", ", twice)}");
        }
    }

    [Theory]
    [InlineData(AnthropicProvider.KindName, "anthropic", "claude-sonnet-4-5-20250929", 3.0, "claude-sonnet-4-5")]
    [InlineData(AnthropicProvider.KindName, "anthropic", "claude-3-7-sonnet-latest", 3.0, "claude-3-7-sonnet")]
    [InlineData(AnthropicProvider.KindName, "anthropic", "claude-haiku-4-5", 1.0, "claude-haiku-4-5")]
    [InlineData(BedrockProvider.KindName, "bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", 3.0, "anthropic.claude-sonnet-4-5")]
    [InlineData(BedrockProvider.KindName, "bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, "anthropic.claude-3-5-haiku")]
    [InlineData(BedrockProvider.KindName, "bedrock", "global.anthropic.claude-sonnet-4-20250514-v1:0", 3.0, "anthropic.claude-sonnet-4")]
    [InlineData(BedrockProvider.KindName, "bedrock", "amazon.nova-pro-v1:0", 0.8, "amazon.nova-pro")]
    [InlineData(VertexProvider.KindName, "vertex", "claude-sonnet-4-5@20250929", 3.0, "claude-sonnet-4-5")]
    [InlineData(VertexProvider.KindName, "vertex", "claude-opus-4-6", 5.0, "claude-opus-4-6")]
    [InlineData(OpenAICompatibleProvider.KindName, "openai", "gpt-4o-2024-08-06", 2.5, "gpt-4o")]
    [InlineData(OpenAICompatibleProvider.KindName, "openai", "gpt-4o-2024-05-13", 5.0, "gpt-4o-2024-05-13")]
    [InlineData(OpenAICompatibleProvider.KindName, "groq", "llama-3.3-70b-versatile", 0.59, "llama-3.3-70b-versatile")]
    [InlineData(OpenAICompatibleProvider.KindName, "xai", "grok-4-0709", 3.0, "grok-4")]
    [InlineData(AzureOpenAIProvider.KindName, "azure-openai", "gpt-4.1-mini", 0.4, "gpt-4.1-mini")]
    [InlineData(GeminiProvider.KindName, "gemini", "gemini-2.5-pro", 1.25, "gemini-2.5-pro")]
    public void Schedule_DocumentedIdForms_FindTheirEntry(string kind, string preset, string model, double input, string entry)
    {
        var book = ProviderCatalog.Default.Find(kind)!.Prices;
        var schedule = book.Schedule(preset, model);

        Assert.NotNull(schedule);
        Assert.Equal((decimal)input, schedule[0].Input);
        Assert.Contains(book.Lists.SelectMany(l => l.Entries), e => e.Model == entry && ReferenceEquals(e.Price, schedule[0]));
    }

    [Theory]
    [InlineData(OpenAICompatibleProvider.KindName, "openai-compatible", "gpt-4o")] // any server at a base_url: not OpenAI's bill
    [InlineData(OpenAICompatibleProvider.KindName, "vllm", "llama-3.3-70b-versatile")] // Groq's model, run locally
    [InlineData(OpenAICompatibleProvider.KindName, "groq", "gpt-4o")]
    [InlineData(AnthropicProvider.KindName, "anthropic", "claude-sonnet-4-5-2025")]
    [InlineData(VertexProvider.KindName, "vertex", "gemini-2.5-pro")] // Gemini on Vertex was not sourced
    public void Schedule_Unsourced_Unpriced(string kind, string preset, string model) =>
        Assert.Null(ProviderCatalog.Default.Find(kind)!.Prices.Schedule(preset, model));

    [Fact]
    public void GeminiFlash38_PriceChangeOnNewYear_TwoEntries()
    {
        var price = ProviderCatalog.Default.Find(GeminiProvider.KindName)!.Prices.PriceFor("gemini", "gemini-3.8-flash", Today)!;

        Assert.Equal((0.75m, 3.75m), (price.At(new DateOnly(2026, 12, 31)).Input, price.At(new DateOnly(2026, 12, 31)).Output));
        Assert.Equal((1.50m, 7.50m), (price.At(new DateOnly(2027, 1, 1)).Input, price.At(new DateOnly(2027, 1, 1)).Output));
        Assert.Equal("book:2027-01-01", price.At(new DateOnly(2027, 6, 1)).Version);
    }

    [Fact]
    public void AzureOpenAI_IsOpenAIsListForEveryPreset()
    {
        var azure = ProviderCatalog.Default.Find(AzureOpenAIProvider.KindName)!.Prices;
        var openai = ProviderCatalog.Default.Find(OpenAICompatibleProvider.KindName)!.Prices.Lists.Single(l => l.Provider == "openai");

        var list = Assert.Single(azure.Lists);
        Assert.Null(list.Presets);
        Assert.Equal(openai.Entries, list.Entries);
    }

    [Fact]
    public void EchoModel_IsFree()
    {
        var price = ProviderCatalog.Default.Find("echo")!.Prices.PriceFor("echo", "echo", Today)!;
        Assert.Equal((0m, 0m), (price.Input, price.Output));
    }
}

using Switchyard.Configuration;
using Switchyard.Providers;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>
/// The shipped model catalogs (<c>Providers/NAME/models.yaml</c>): they load, every entry says where its facts
/// come from, model ids resolve to the right entry, and a deployment's <c>catalog:</c> overrides them.
/// </summary>
public sealed class ModelCatalogTests
{
    public static TheoryData<string> Folders() => new(ProviderCatalog.Default.Descriptors
        .Select(d => d.ModelCatalog).OfType<string>().Distinct());

    [Theory]
    [MemberData(nameof(Folders))]
    public void EveryShippedCatalog_LoadsWithoutErrors_AndCitesItsSource(string folder)
    {
        var resource = ModelCatalog.ResourceName(folder);
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(resource);
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);

        var catalog = ModelCatalog.Parse(reader.ReadToEnd(), resource, out var errors);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.NotEmpty(catalog.Profiles);
        Assert.All(catalog.Profiles, p =>
        {
            Assert.StartsWith("https://", p.Source, StringComparison.Ordinal);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", p.Checked);
        });
    }

    [Theory]
    [InlineData("bedrock", "us.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku")]
    [InlineData("bedrock", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku")]
    [InlineData("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5")]
    [InlineData("bedrock", "anthropic.claude-opus-9-20300101-v1:0", "claude")]
    [InlineData("bedrock", "us.amazon.nova-pro-v1:0", "nova-pro")]
    [InlineData("bedrock", "meta.llama3-70b-instruct-v1:0", "converse")]
    [InlineData("anthropic", "claude-3-haiku-20240307", "claude-3-haiku")]
    [InlineData("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5")]
    [InlineData("vertex", "claude-3-haiku@20240307", "claude-3-haiku")]
    [InlineData("vertex", "gemini-2.5-pro", "gemini-2.5-pro")]
    [InlineData("vertex", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite")]
    [InlineData("gemini", "gemini-2.5-flash", "gemini-2.5-flash")]
    [InlineData("openai-compatible", "gpt-4o-mini", "gpt-4o")]
    [InlineData("openai-compatible", "gpt-5-chat-latest", "gpt-5-chat")]
    [InlineData("openai-compatible", "llama-3.1-70b", null)]
    public void ModelIds_ResolveToTheFirstMatchingEntry(string kind, string model, string? entry)
    {
        var profile = ModelCatalog.For(ProviderCatalog.Default.Find(kind)).Resolve(model);

        Assert.Equal(entry, profile.Id);
    }

    [Fact]
    public void TheBedrockTable_SaysWhereCheckpointsGo()
    {
        var bedrock = ModelCatalog.For(ProviderCatalog.Default.Find("bedrock"));

        Assert.Equal(CachePlacement.None, bedrock.Resolve("anthropic.claude-3-haiku-20240307-v1:0").CacheCheckpoints);
        Assert.Equal(CachePlacement.System | CachePlacement.Messages, bedrock.Resolve("us.amazon.nova-lite-v1:0").CacheCheckpoints);
        Assert.Equal(CachePlacement.All, bedrock.Resolve("anthropic.claude-3-7-sonnet-20250219-v1:0").CacheCheckpoints);
        // A Claude model newer than the table takes the family's placement (every Claude since 3.7 takes all three).
        Assert.Equal(CachePlacement.All, bedrock.Resolve("anthropic.claude-opus-9-20300101-v1:0").CacheCheckpoints);
    }

    [Theory]
    [InlineData("claude-3-haiku*", "CLAUDE-3-HAIKU-20240307", true)]
    [InlineData("*anthropic.claude-3-haiku*", "us.anthropic.claude-3-haiku-v1:0", true)]
    [InlineData("*anthropic.claude-3-haiku*", "us.anthropic.claude-3-5-haiku-v1:0", false)]
    [InlineData("gpt-5", "gpt-5", true)]
    [InlineData("gpt-5", "gpt-5-mini", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void Patterns_AreCaseInsensitiveGlobs(string pattern, string text, bool matches)
    {
        Assert.Equal(matches, ModelCatalog.Glob(pattern, text));
    }

    private static string Deployment(string extra, string provider = """{ kind: anthropic, api_key: "${K}" }""", string model = "claude-3-haiku-20240307") => $$"""
        providers:
          p: {{provider}}
        deployments:
          d:
            provider: p
            model: {{model}}
        {{extra}}
        models:
          m: d
        """;

    [Fact]
    public void ADeployment_TakesItsModelsEntry_ForRoutingToo()
    {
        var d = LoadValid(Deployment(""), Env(("K", "k"))).Deployments["d"];

        Assert.Equal("claude-3-haiku", d.Profile.Id);
        Assert.Equal(4096, d.Capabilities.MaxOutputTokens);
        Assert.Equal(200000, d.Capabilities.ContextWindow);
        Assert.False(d.Capabilities.Thinking);
    }

    [Fact]
    public void DeclaredCapabilities_WinOverTheCatalog()
    {
        var d = LoadValid(Deployment("    context_window: 1000\n    capabilities: { thinking: true }"), Env(("K", "k"))).Deployments["d"];

        Assert.Equal(1000, d.Capabilities.ContextWindow);
        Assert.True(d.Capabilities.Thinking);
    }

    [Fact]
    public void CatalogOverrides_SetFieldsOverTheEntry()
    {
        var d = LoadValid(Deployment("    catalog: { max_output_tokens: 2048, temperature: [0, 0.5], cache_checkpoints: [system] }"), Env(("K", "k"))).Deployments["d"];

        Assert.Equal("claude-3-haiku", d.Profile.Id);
        Assert.Equal(2048, d.Profile.MaxOutputTokens);
        Assert.Equal(new NumberRange(0, 0.5), d.Profile.Temperature);
        Assert.Equal(CachePlacement.System, d.Profile.CacheCheckpoints);
        Assert.Equal(ThinkingSupport.None, d.Profile.Thinking); // untouched fields stay the entry's
    }

    [Fact]
    public void AnEntry_CanBeNamed_ForIdsNoPatternMatches()
    {
        var yaml = Deployment("    catalog: { entry: nova-lite }", "{ kind: bedrock, settings: { region: us-east-1 } }", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc");

        var d = LoadValid(yaml, Env(("K", "k"))).Deployments["d"];

        Assert.Equal("nova-lite", d.Profile.Id);
        Assert.Equal(CachePlacement.System | CachePlacement.Messages, d.Profile.CacheCheckpoints);
    }

    [Fact]
    public void CatalogOff_RemovesEveryRule()
    {
        var d = LoadValid(Deployment("    catalog: off"), Env(("K", "k"))).Deployments["d"];

        Assert.Same(ModelProfile.Unknown, d.Profile);
    }

    [Theory]
    [InlineData("    catalog: { entry: claude-3-hiaku }", "deployments.d.catalog.entry", "did you mean 'claude-3-haiku'")]
    [InlineData("    catalog: { temperature: [1, 0] }", "deployments.d.catalog.temperature", "min must not exceed max")]
    [InlineData("    catalog: { temperature: [0, 3] }", "deployments.d.catalog.temperature[1]", "from 0 to 2")]
    [InlineData("    catalog: { thinking: sometimes }", "deployments.d.catalog.thinking", "none, optional or always")]
    [InlineData("    catalog: { cache_checkpoints: [prefix] }", "deployments.d.catalog.cache_checkpoints[0]", "system, messages or tools")]
    [InlineData("    catalog: { while_thinking: { top_k: maybe } }", "deployments.d.catalog.while_thinking.top_k", "true or false")]
    [InlineData("    catalog: on", "deployments.d.catalog", "must be 'off' or a mapping")]
    public void BadOverrides_AreReportedAtTheirPath(string extra, string path, string fragment)
    {
        var message = SingleErrorAt(Deployment(extra), path, Env(("K", "k")));

        Assert.Contains(fragment, message, StringComparison.Ordinal);
    }
}

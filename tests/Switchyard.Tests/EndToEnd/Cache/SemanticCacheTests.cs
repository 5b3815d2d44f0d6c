using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Governance;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Cache;

/// <summary>
/// The semantic cache end to end: Kestrel, one strict fake OpenAI upstream serving both the chat deployment and the
/// embedding deployment, whose vectors the test scripts (text → vector), so every similarity is set exactly. Covers hits
/// above the threshold and misses below it, the guards against the known false hits (negation, number, entity, quoted
/// string: LiteLLM #12234, GPTCache #694), tenant isolation, eligibility (turns), a failed embedding, and metering.
/// </summary>
[Collection(Observability.ScrapeCollection.Name)]
public sealed class SemanticCacheTests
{
    /// <summary><c>sem</c>: dep-a with a semantic cache over <c>embed</c> at 0.9; <c>team-sem</c>: the same with team scope.</summary>
    private const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}}, team: red }
            - { id: red2, key_env: RED_KEY, team: red }
            - { id: blue, key_env: BLUE_KEY, team: blue }
            - { id: budgeted, key_env: BUDGET_KEY, budget: { limit_usd: 1, period: monthly } }
        teams:
          red: { name: Red }
          blue: { name: Blue }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 2, output: 8 } }
          dep-e: { provider: up-a, model: text-embedding-3-small, price: { input: 100, output: 0 } }
        models:
          sem:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 10m, semantic: { embedding_model: embed, threshold: 0.9 } }
          team-sem:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 10m, scope: team, semantic: { embedding_model: embed, threshold: 0.9 } }
          two-turns:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 10m, semantic: { embedding_model: embed, threshold: 0.9, max_turns: 2 } }
          embed:
            deployments: [dep-e]
            max_attempts: 1
        """;

    /// <summary>A unit vector at cosine <paramref name="similarity"/> to <c>[1, 0, …]</c>.</summary>
    private static float[] At(double similarity) => [(float)similarity, (float)Math.Sqrt(1 - similarity * similarity), 0, 0, 0, 0, 0, 0];

    private const string BudgetKey = "sk-budgeted-e2e-9a8b7c";

    private static async Task<GatewayHarness> StartAsync(Dictionary<string, float[]> vectors)
    {
        var h = await GatewayHarness.StartAsync(Yaml, fakes: 1, env: new Dictionary<string, string>(CacheHarness.Env) { ["BUDGET_KEY"] = BudgetKey });
        h.A.SetDefault(UpstreamBehavior.Text("Paris.", usage: new FakeUsage(1000, 500)));
        h.A.SetDefault(UpstreamEndpoint.Embeddings, new EmbeddingsBehavior { Vectors = vectors, TokensPerInput = 10 });
        return h;
    }

    private static Task<HttpResponseMessage> AskAsync(GatewayHarness h, string prompt, string model = "sem", string key = GatewayHarness.ClientKey) =>
        CacheHarness.PostAsync(h, Wire.ChatJson(model, content: prompt), key);

    private static int ChatCalls(GatewayHarness h) => h.A.RequestsTo(UpstreamEndpoint.ChatCompletions).Count;

    private static int EmbeddingCalls(GatewayHarness h) => h.A.RequestsTo(UpstreamEndpoint.Embeddings).Count;

    [Fact]
    public async Task SimilarPrompt_AboveThreshold_SemanticHitWithSimilarity_RecordsSavingAndMetersEmbeddings()
    {
        await using var h = await StartAsync(new()
        {
            ["What is the capital of France?"] = At(1),
            ["Tell me the capital of France."] = At(0.96),
        });

        var first = await AskAsync(h, "What is the capital of France?");
        var second = await AskAsync(h, "Tell me the capital of France.");

        Assert.Equal("miss", CacheHarness.CacheHeader(first));
        var header = CacheHarness.CacheHeader(second)!;
        Assert.Matches(@"^semantic-hit; similarity=0\.9[56]\d\d$", header);
        Assert.InRange(double.Parse(header.Split('=')[1], CultureInfo.InvariantCulture), 0.9599, 0.9600);
        Assert.Equal("Paris.", (string?)JsonNode.Parse(await second.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]);
        Assert.Equal((1, 2), (ChatCalls(h), EmbeddingCalls(h)));

        var records = await h.UsageRecordsAsync(4);
        var hit = Assert.Single(records, r => r.Cache == "semantic-hit");
        Assert.Equal((0, 0L, 6000L, "dep-a", 200), (hit.Attempts, hit.CostMicros, hit.CostSavedMicros, hit.FinalDeployment, hit.Status));
        var embeddings = records.Where(r => r.Operation == "embeddings").ToList();
        Assert.Equal(2, embeddings.Count);
        Assert.All(embeddings, r => Assert.Equal(("app", "red", "cache.semantic", "embed", 10L, 1000L), (r.KeyId, r.TeamId, r.Route, r.Alias, r.PromptTokens, r.CostMicros)));
        Assert.Contains(embeddings, r => r.RequestId == GatewayHarness.RecordId(second) + "-embed");
    }

    [Fact]
    public async Task EmbeddingCalls_ChargedToTheCallersBudget()
    {
        await using var h = await StartAsync(new() { ["What is the capital of France?"] = At(1), ["Tell me the capital of France."] = At(0.97) });

        await AskAsync(h, "What is the capital of France?", key: BudgetKey);
        var second = await AskAsync(h, "Tell me the capital of France.", key: BudgetKey);
        await h.UsageRecordsAsync(4);

        Assert.StartsWith("semantic-hit", CacheHarness.CacheHeader(second));
        var ledger = h.Gateway.Services.GetRequiredService<BudgetLedger>();
        var state = ledger.Peek(new BudgetScope("key:budgeted", new BudgetRule(1_000_000, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, "budgeted")));
        Assert.Equal((6000L + 2 * 1000L, 0L), (state.SpentMicros, state.ReservedMicros)); // the chat miss and both embeddings; the hit costs 0
        Assert.Equal(0, ledger.OpenReservations);
    }

    [Fact]
    public async Task SimilarPrompt_BelowThreshold_Miss()
    {
        await using var h = await StartAsync(new()
        {
            ["What is the capital of France?"] = At(1),
            ["Tell me the capital of France."] = At(0.89),
        });

        await AskAsync(h, "What is the capital of France?");
        var second = await AskAsync(h, "Tell me the capital of France.");

        Assert.Equal("miss", CacheHarness.CacheHeader(second));
        Assert.Equal(2, ChatCalls(h));
    }

    /// <summary>Identical vectors (similarity 1): only the guards stand between these pairs and a false hit.</summary>
    [Theory]
    [InlineData("How do I enable logging in the service?", "How do I not enable logging in the service?")] // negation
    [InlineData("Should I restart the server?", "Shouldn't I restart the server?")] // negation by contraction
    [InlineData("What is 2+2?", "What is 2+3?")] // a differing number
    [InlineData("Give me three reasons to learn Rust.", "Give me five reasons to learn Rust.")] // a differing number word
    [InlineData("What is the capital of France?", "What is the capital of Germany?")] // a differing entity
    [InlineData("Translate \"good morning\" to German.", "Translate \"good night\" to German.")] // a differing quoted string
    public async Task SameVector_PromptsDifferingInGuardedWays_Miss(string stored, string asked)
    {
        await using var h = await StartAsync(new() { [stored] = At(1), [asked] = At(1) });

        await AskAsync(h, stored);
        var second = await AskAsync(h, asked);

        Assert.Equal("miss", CacheHarness.CacheHeader(second));
        Assert.Equal(2, ChatCalls(h));
    }

    [Fact]
    public async Task SamePromptOtherTenant_Miss_EvenWithTeamScopeAcrossTeams()
    {
        await using var h = await StartAsync(new() { ["What is the capital of France?"] = At(1) });

        await AskAsync(h, "What is the capital of France?");
        var otherKey = await AskAsync(h, "What is the capital of France?", key: CacheHarness.RedKey);
        await AskAsync(h, "What is the capital of France?", model: "team-sem");
        var sameTeam = await AskAsync(h, "What is the capital of France?", model: "team-sem", key: CacheHarness.RedKey);
        var otherTeam = await AskAsync(h, "What is the capital of France?", model: "team-sem", key: CacheHarness.BlueKey);

        // An identical prompt is an exact hit first; a semantic hit across tenants would need the index to leak.
        Assert.Equal(("miss", "hit", "miss"), (CacheHarness.CacheHeader(otherKey), CacheHarness.CacheHeader(sameTeam), CacheHarness.CacheHeader(otherTeam)));
        Assert.Equal(4, ChatCalls(h));
    }

    [Fact]
    public async Task SimilarPromptOtherTenant_NoSemanticHit()
    {
        await using var h = await StartAsync(new() { ["What is the capital of France?"] = At(1), ["Tell me the capital of France."] = At(0.99) });

        await AskAsync(h, "What is the capital of France?");
        var blue = await AskAsync(h, "Tell me the capital of France.", key: CacheHarness.BlueKey);
        var app = await AskAsync(h, "Tell me the capital of France.");

        Assert.Equal("miss", CacheHarness.CacheHeader(blue));
        Assert.StartsWith("semantic-hit", CacheHarness.CacheHeader(app));
    }

    [Fact]
    public async Task LongerConversationThanMaxTurns_NotEmbedded_Miss()
    {
        await using var h = await StartAsync(new());
        var body = new JsonObject
        {
            ["model"] = "sem",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "Hi" },
                new JsonObject { ["role"] = "assistant", ["content"] = "Hello" },
                new JsonObject { ["role"] = "user", ["content"] = "What is the capital of France?" }),
        };

        var response = await CacheHarness.PostAsync(h, body.ToJsonString());

        Assert.Equal("miss", CacheHarness.CacheHeader(response));
        Assert.Equal(0, EmbeddingCalls(h));
    }

    [Fact]
    public async Task TwoTurnsWithinMaxTurns_EmbedsTheConversation_Hit()
    {
        const string conversation = "user: Hi\nassistant: Hello\nuser: What is the capital of France?";
        const string similar = "user: Hi\nassistant: Hello\nuser: Tell me the capital of France.";
        await using var h = await StartAsync(new() { [conversation] = At(1), [similar] = At(0.97) });

        await CacheHarness.PostAsync(h, TwoTurns("What is the capital of France?"));
        var second = await CacheHarness.PostAsync(h, TwoTurns("Tell me the capital of France."));

        Assert.StartsWith("semantic-hit", CacheHarness.CacheHeader(second));
        Assert.Equal(1, ChatCalls(h));
    }

    private static string TwoTurns(string last) => new JsonObject
    {
        ["model"] = "two-turns",
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = "Hi" },
            new JsonObject { ["role"] = "assistant", ["content"] = "Hello" },
            new JsonObject { ["role"] = "user", ["content"] = last }),
    }.ToJsonString();

    [Fact]
    public async Task EmbeddingCallFails_RequestServedAsMiss_FailureRecorded()
    {
        await using var h = await StartAsync(new()); // strict: no vector for the prompt, so the fake answers 400

        var response = await AskAsync(h, "What is the capital of France?");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("miss", CacheHarness.CacheHeader(response));
        var embed = await h.UsageWhereAsync(r => r.Operation == "embeddings", "the embedding call");
        Assert.Equal(400, embed.Status);
    }

    [Fact]
    public async Task DifferentSystemPrompt_OtherPartition_Miss()
    {
        await using var h = await StartAsync(new() { ["What is the capital of France?"] = At(1), ["Tell me the capital of France."] = At(0.99) });

        await CacheHarness.PostAsync(h, WithSystem("Answer in English.", "What is the capital of France?"));
        var second = await CacheHarness.PostAsync(h, WithSystem("Answer in French.", "Tell me the capital of France."));
        var third = await CacheHarness.PostAsync(h, WithSystem("Answer in English.", "Tell me the capital of France."));

        Assert.Equal("miss", CacheHarness.CacheHeader(second));
        Assert.StartsWith("semantic-hit", CacheHarness.CacheHeader(third));
    }

    private static string WithSystem(string system, string user) => new JsonObject
    {
        ["model"] = "sem",
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = system },
            new JsonObject { ["role"] = "user", ["content"] = user }),
    }.ToJsonString();
}

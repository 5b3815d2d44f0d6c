using System.Net;
using System.Text.Json.Nodes;
using OpenAI.Moderations;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/moderations</c> through the official OpenAI SDK, and <c>/v1/rerank</c> in the Cohere/Jina shape to Cohere,
/// Jina and Voyage upstreams: what each upstream received (its own field names), what the client got back (one shape),
/// and the record's cost in each vendor's unit (search units, tokens).
/// </summary>
public sealed class ModerationAndRerankTests(MediaGateway m) : IClassFixture<MediaGateway>
{
    [Fact]
    public async Task Moderation_ViaSdk_PassesThroughAndIsRecorded()
    {
        var client = new ModerationClient("omni-moderation-latest", MediaGateway.Key, m.H.SdkOptions());

        var result = await client.ClassifyTextAsync("I will attack the castle");

        Assert.True(result.Value.Flagged);
        Assert.True(result.Value.Violence.Flagged);
        Assert.False(result.Value.Hate.Flagged);
        var sent = Assert.Single(m.Received("/openai/v1/moderations"));
        Assert.Equal("omni-moderation-latest", sent.Json["model"]!.GetValue<string>());
        var record = await m.RecordOf(result);
        Assert.Equal(("moderations", "moderation", 200), (record.Operation, record.FinalDeployment, record.Status));
        Assert.Equal(0, record.CostMicros); // moderation is free: no price, cost 0
    }

    [Fact]
    public async Task Rerank_Cohere_TranslatedAndCostsOneSearchUnit()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank",
            """{"model":"rerank-cohere","query":"capital of France?","documents":["Berlin","Madrid","Paris"],"top_n":2,"return_documents":true}"""));

        var answer = await Ok(response);
        Assert.Equal([2, 1], answer["results"]!.AsArray().Select(r => r!["index"]!.GetValue<int>()));
        Assert.Equal("Paris", answer["results"]![0]!["document"]!["text"]!.GetValue<string>()); // Cohere v2 returns none: added back
        Assert.Equal(1, answer["meta"]!["billed_units"]!["search_units"]!.GetValue<int>());
        var sent = Assert.Single(m.Received("/cohere/v2/rerank")).Json;
        Assert.Equal("rerank-v4.0-pro", sent["model"]!.GetValue<string>());
        Assert.Null(sent["return_documents"]); // not a Cohere v2 field
        var record = await m.RecordOf(response);
        Assert.Equal(("rerank", 2000L, "book:2026-12-06"), (record.Operation, record.CostMicros, record.PriceVersion)); // $0.002 a search unit
    }

    [Fact]
    public async Task Rerank_Jina_DocumentObjectsBecomeStrings_TokensCosted()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank",
            """{"model":"rerank-jina","query":"skincare","documents":[{"text":"aloe"},{"text":"lipstick"}],"return_documents":true}"""));

        var answer = await Ok(response);
        Assert.Equal("lipstick", answer["results"]![0]!["document"]!["text"]!.GetValue<string>());
        Assert.Equal(815, answer["usage"]!["total_tokens"]!.GetValue<int>());
        var sent = Assert.Single(m.Received("/jina/v1/rerank")).Json;
        Assert.Equal(["aloe", "lipstick"], sent["documents"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(16, (await m.RecordOf(response)).CostMicros); // 815 tokens at $0.02 per million = 16.3 µ$
    }

    [Fact]
    public async Task Rerank_Voyage_TopNBecomesTopK_DataBecomesResults()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank",
            """{"model":"rerank-voyage","query":"rain","documents":["sun","snow","rain"],"top_n":1}"""));

        var answer = await Ok(response);
        var only = Assert.Single(answer["results"]!.AsArray());
        Assert.Equal(2, only!["index"]!.GetValue<int>());
        Assert.Null(only["document"]);
        var sent = Assert.Single(m.Received("/voyage/v1/rerank")).Json;
        Assert.Equal(1, sent["top_k"]!.GetValue<int>());
        Assert.Null(sent["top_n"]);
        var record = await m.RecordOf(response);
        Assert.Equal((1200L, 60L), (record.PromptTokens, record.CostMicros)); // $0.05 per million tokens
    }

    [Fact]
    public async Task Rerank_FieldVoyageHasNot_RefusedByName_NothingSent()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank",
            """{"model":"rerank-voyage","query":"q","documents":["a"],"max_tokens_per_doc":100}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("max_tokens_per_doc", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(m.Fake.Requests, r => r.Body.Contains("max_tokens_per_doc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rerank_ToAModerationModel_NoDeploymentServesIt_400Named()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank", """{"model":"omni-moderation-latest","query":"q","documents":["a"]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("moderation: no capability: rerank", body, StringComparison.Ordinal);
        Assert.Contains("unsupported_capability", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rerank_WithoutKey_401()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/rerank", """{"model":"rerank-jina","query":"q","documents":["a"]}""", key: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }
}

using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>Scripted HTTP errors, the embeddings/models endpoints and routing.</summary>
public sealed class ErrorAndEndpointTests
{
    [Fact]
    public async Task RateLimited_Returns429WithRetryAfterAndOpenAIErrorBody()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromSeconds(2)).WithHeader("x-custom", "kept"));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal("kept", response.Headers.GetValues("x-custom").Single());
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("2000", response.Headers.GetValues("retry-after-ms").Single());
        Assert.Equal("0", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        var error = (await FakeHttp.ReadJsonAsync(response))["error"]!.AsObject();
        Assert.Equal("rate_limit_exceeded", (string)error["code"]!);
        Assert.False(string.IsNullOrEmpty((string)error["message"]!));
        Assert.Equal("requests", (string)error["type"]!);
        ChatWireFormatTests.AssertNullProperty(error, "param");
    }

    [Theory]
    [InlineData("bad", 400, "invalid_request_error", null)]
    [InlineData("context", 400, "invalid_request_error", "context_length_exceeded")]
    [InlineData("key", 401, "invalid_request_error", "invalid_api_key")]
    [InlineData("quota", 429, "insufficient_quota", "insufficient_quota")]
    [InlineData("server", 500, "server_error", null)]
    [InlineData("unavailable", 503, "service_unavailable_error", "server_is_overloaded")]
    public async Task ErrorFactories_ProduceOpenAIErrors(string kind, int status, string type, string? code)
    {
        var behavior = kind switch
        {
            "bad" => UpstreamBehavior.BadRequest(),
            "context" => UpstreamBehavior.ContextLengthExceeded(),
            "key" => UpstreamBehavior.InvalidApiKey(),
            "quota" => UpstreamBehavior.QuotaExceeded(),
            "server" => UpstreamBehavior.ServerError(),
            _ => UpstreamBehavior.ServiceUnavailable(),
        };
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(behavior);
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await FakeHttp.ReadJsonAsync(response))["error"]!.AsObject();
        Assert.Equal(["message", "type", "param", "code"], error.Select(p => p.Key));
        Assert.Equal(type, (string)error["type"]!);
        Assert.Equal(code, (string?)error["code"]);
    }

    [Fact]
    public async Task Embeddings_ReturnOneVectorPerInput()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        var body = new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = new JsonArray("alpha", "beta", "alpha"), ["dimensions"] = 16 };

        using var response = await client.SendAsync(FakeHttp.Post(fake, "embeddings", body));
        var json = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("list", (string)json["object"]!);
        Assert.Equal("text-embedding-3-small", (string)json["model"]!);
        var data = json["data"]!.AsArray();
        Assert.Equal(3, data.Count);
        Assert.Equal([0, 1, 2], data.Select(d => (int)d!["index"]!));
        Assert.All(data, d => Assert.Equal("embedding", (string)d!["object"]!));
        Assert.All(data, d => Assert.Equal(16, d!["embedding"]!.AsArray().Count));
        Assert.Equal(data[0]!["embedding"]!.ToJsonString(), data[2]!["embedding"]!.ToJsonString());
        Assert.NotEqual(data[0]!["embedding"]!.ToJsonString(), data[1]!["embedding"]!.ToJsonString());
        Assert.Equal(12, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(12, (int)json["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task Embeddings_HaveTheirOwnQueue()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamEndpoint.Embeddings, UpstreamBehavior.RateLimited());
        using var client = FakeHttp.NewClient();

        using var chat = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());
        using var embeddings = await client.SendAsync(FakeHttp.Post(fake, "embeddings", new JsonObject { ["model"] = "e", ["input"] = "x" }));

        Assert.Equal(200, (int)chat.StatusCode);
        Assert.Equal(429, (int)embeddings.StatusCode);
        Assert.Single(fake.RequestsTo(UpstreamEndpoint.Embeddings));
    }

    [Fact]
    public async Task Scripting_RejectsBehavioursThatCannotAnswerTheEndpointOrAreInconsistent()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();

        Assert.Throws<ArgumentException>(() => fake.Enqueue(UpstreamEndpoint.Embeddings, UpstreamBehavior.Text()));
        Assert.Throws<ArgumentException>(() => fake.SetDefault(UpstreamBehavior.Embeddings()));
        Assert.Throws<ArgumentException>(() => fake.Enqueue(UpstreamBehavior.ToolCalls()));
        Assert.Throws<ArgumentException>(() => fake.Enqueue(UpstreamBehavior.TextPieces("a") with { Content = "b" }));
        Assert.Equal(0, fake.PendingBehaviors());
    }

    [Fact]
    public async Task Models_ReturnsAListObject()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.SetDefault(UpstreamEndpoint.Models, UpstreamBehavior.Models("m1", "m2"));
        using var client = FakeHttp.NewClient();

        var json = JsonNode.Parse(await client.GetStringAsync(fake.UrlFor("models")))!;

        Assert.Equal("list", (string)json["object"]!);
        Assert.Equal(["m1", "m2"], json["data"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.All(json["data"]!.AsArray(), m => Assert.Equal("model", (string)m!["object"]!));
        Assert.All(json["data"]!.AsArray(), m => Assert.Equal("system", (string)m!["owned_by"]!));
    }

    [Fact]
    public async Task UnknownRoute_Is404InvalidUrlAndStillRecorded()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var client = FakeHttp.NewClient();

        using var response = await client.SendAsync(FakeHttp.Post(fake, "completions", new JsonObject()));

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("Invalid URL (POST /v1/completions)", (string)(await FakeHttp.ReadJsonAsync(response))["error"]!["message"]!);
        var recorded = Assert.Single(fake.Requests);
        Assert.Null(recorded.Endpoint);
    }
}

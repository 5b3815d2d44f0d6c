using System.Net;
using System.Text;
using System.Text.Json;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Embeddings;

/// <summary>
/// Google's embedding methods (<c>:embedContent</c>, <c>:batchEmbedContents</c>) served from an OpenAI-family
/// embedding deployment: the same vectors <c>/v1/embeddings</c> returns for the same input, in Google's shape.
/// </summary>
public sealed class GeminiEmbeddingsInTests : IAsyncLifetime
{
    private GatewayHarness h = null!;

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamEndpoint.Embeddings, UpstreamBehavior.Embeddings());
    }

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task EmbedContent_ReturnsTheSameVectorAsV1Embeddings()
    {
        using var openai = await h.SendAsync(h.Post("/v1/embeddings", """{"model":"embed","input":"the same words","encoding_format":"float"}"""));
        using var gemini = await h.SendAsync(h.Post("/v1beta/models/embed:embedContent", """{"content":{"parts":[{"text":"the same words"}]}}"""));

        Assert.Equal(HttpStatusCode.OK, gemini.StatusCode);
        var expected = Floats(JsonDocument.Parse(await openai.Content.ReadAsStringAsync()).RootElement.GetProperty("data")[0].GetProperty("embedding"));
        var actual = Floats(JsonDocument.Parse(await gemini.Content.ReadAsStringAsync()).RootElement.GetProperty("embedding").GetProperty("values"));
        Assert.Equal(expected, actual);
        Assert.NotEmpty(actual);
        var record = await h.UsageAsync(Wire.Header(gemini, "x-request-id")!);
        Assert.Equal("embeddings", record.Operation);
        Assert.Equal("gemini", record.Format);
    }

    [Fact]
    public async Task BatchEmbedContents_KeepsOrderAndDimensionality()
    {
        using var r = await h.SendAsync(h.Post("/v1beta/models/embed:batchEmbedContents",
            """{"requests":[{"model":"models/embed","content":{"parts":[{"text":"one"}]},"outputDimensionality":4},{"model":"models/embed","content":{"parts":[{"text":"two"}]},"outputDimensionality":4}]}"""));
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var embeddings = doc.RootElement.GetProperty("embeddings");
        Assert.Equal(2, embeddings.GetArrayLength());
        Assert.All(embeddings.EnumerateArray(), e => Assert.Equal(4, e.GetProperty("values").GetArrayLength()));
        using var sent = JsonDocument.Parse(h.A.Requests.Single().Body);
        Assert.Equal(["one", "two"], sent.RootElement.GetProperty("input").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(4, sent.RootElement.GetProperty("dimensions").GetInt32());
    }

    [Fact]
    public async Task TaskTypeToAnOpenAIDeployment_Is400InGooglesShape_NothingSent()
    {
        using var r = await h.SendAsync(h.Post("/v1beta/models/embed:embedContent",
            """{"content":{"parts":[{"text":"x"}]},"taskType":"RETRIEVAL_QUERY"}"""));
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", doc.RootElement.GetProperty("error").GetProperty("status").GetString());
        Assert.Contains("taskType", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, h.A.RequestCount);
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();
}

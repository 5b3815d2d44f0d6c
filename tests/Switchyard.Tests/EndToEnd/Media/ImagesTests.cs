using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using OpenAI.Images;
using Switchyard.Tests.TestKit.Media;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/images/generations</c> and <c>/v1/images/edits</c> through the official OpenAI SDK's image client: passed
/// through to the OpenAI family (URLs or bytes), translated to Imagen's <c>:predict</c>, an edit's upload relayed part by
/// part, the upload limit (413 in OpenAI's shape, nothing sent), capability routing and fallback, and each record's cost
/// (per image by size and quality, per token for gpt-image-1).
/// </summary>
public sealed class ImagesTests(MediaGateway m) : IClassFixture<MediaGateway>
{
    private ImageClient Client(string model) => new(model, MediaGateway.Key, m.H.SdkOptions());

    [Fact]
    public async Task DallE_ViaSdk_UrlPassedThrough_CostBySizeAndQuality()
    {
        var result = await Client("dall-e-3").GenerateImageAsync("a cat in a hat", new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1024xH1024,
            Quality = GeneratedImageQuality.High,
            ResponseFormat = GeneratedImageFormat.Uri,
        });

        Assert.Equal(new Uri("https://images.example/fake-0.png"), result.Value.ImageUri);
        var sent = m.Received("/openai/v1/images/generations").Single(r => r.Json["prompt"]!.GetValue<string>() == "a cat in a hat").Json;
        Assert.Equal("dall-e-3", sent["model"]!.GetValue<string>());
        var quality = sent["quality"]!.GetValue<string>(); // "hd" or "high", whatever the SDK spells it: both priced at $0.08
        var record = await m.RecordOf(result);
        Assert.Equal(("images.generations", "dalle", 80_000L), (record.Operation, record.FinalDeployment, record.CostMicros));
        Assert.Contains(quality, (string[])["hd", "high"]);
    }

    [Fact]
    public async Task GptImage_ViaSdk_Bytes_TokensCosted()
    {
        var result = await Client("gpt-image-1").GenerateImageAsync("a lighthouse");

        Assert.Equal(MediaWire.FakeImage(0), result.Value.ImageBytes.ToArray());
        var record = await m.RecordOf(result);
        Assert.Equal((20L, 4160L), (record.PromptTokens, record.CompletionTokens));
        Assert.Equal(20 * 5 + 4160 * 40, record.CostMicros); // $5 and $40 per million tokens
    }

    [Fact]
    public async Task Imagen_ViaSdk_TranslatedToPredict_TwoImagesCosted()
    {
        var result = await Client("imagen").GenerateImagesAsync("a fox", 2, new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1792xH1024,
            ResponseFormat = GeneratedImageFormat.Bytes,
        });

        Assert.Equal([MediaWire.FakeImage(0), MediaWire.FakeImage(1)], result.Value.Select(i => i.ImageBytes.ToArray()));
        var sent = Assert.Single(m.Received(":predict"));
        Assert.Equal("/gemini/v1beta/models/imagen-4.0-generate-001:predict", sent.Path);
        Assert.Equal(FakeMediaUpstream.Key, sent.Auth);
        Assert.Equal("a fox", sent.Json["instances"]![0]!["prompt"]!.GetValue<string>());
        Assert.Equal((2, "16:9"), (sent.Json["parameters"]!["sampleCount"]!.GetValue<int>(), sent.Json["parameters"]!["aspectRatio"]!.GetValue<string>()));
        var record = await m.RecordOf(result);
        Assert.Equal(("imagen", 80_000L), (record.FinalDeployment, record.CostMicros)); // 2 × $0.04
    }

    [Fact]
    public async Task UrlAsked_ImagenCannot_FallsBackToDallE_WithoutCallingImagen()
    {
        var before = m.Received(":predict").Count;
        using var response = await m.H.SendAsync(m.H.Post("/v1/images/generations",
            """{"model":"images-any","prompt":"a boat","size":"1024x1024","quality":"standard","response_format":"url"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("dalle", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("unsupported_capability", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(before, m.Received(":predict").Count);
        Assert.Equal(40_000, (await m.RecordOf(response)).CostMicros);
    }

    [Fact]
    public async Task ImageRequest_ToAliasWithAChatModel_ChatDeploymentLeftOut()
    {
        using var explain = await m.H.SendAsync(m.H.Post("/v1/route/explain/v1/images/generations", """{"model":"mixed","prompt":"x"}""", GatewayHarness.OperatorKey));
        var plan = await explain.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, explain.StatusCode);
        Assert.Contains("no capability: images", plan, StringComparison.Ordinal);

        using var response = await m.H.SendAsync(m.H.Post("/v1/images/generations", """{"model":"mixed","prompt":"x","response_format":"b64_json"}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("dalle", "1"), (Wire.Header(response, "x-switchyard-deployment"), Wire.Header(response, "x-switchyard-attempts")));
    }

    [Fact]
    public async Task Edit_ViaSdk_UploadRelayedPartByPart()
    {
        var image = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();

        var result = await Client("gpt-image-1").GenerateImageEditAsync(new MemoryStream(image), "cat.png", "add a red hat");

        Assert.Equal(MediaWire.FakeImage(0), result.Value.ImageBytes.ToArray());
        var sent = Assert.Single(m.Received("/openai/v1/images/edits"));
        Assert.Equal(("gpt-image-1", "add a red hat"), (sent.Fields["model"], sent.Fields["prompt"]));
        var file = Assert.Single(sent.Files);
        Assert.Equal(("image", "cat.png"), (file.Name, file.FileName));
        Assert.Equal(image, file.Bytes);
        var record = await m.RecordOf(result);
        Assert.Equal(("images.edits", 200), (record.Operation, record.Status));
        Assert.Equal(20 * 5 + 4160 * 40, record.CostMicros);
    }

    [Fact]
    public async Task Edit_UploadOverTheLimit_413InOpenAIShape_NothingSent()
    {
        var before = m.Received("/openai/v1/images/edits").Count;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("gpt-image-1"), "model" },
            { new StringContent("bigger"), "prompt" },
        };
        var big = new ByteArrayContent(new byte[MediaGateway.UploadLimit + 1]);
        big.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(big, "image", "big.png");
        using var request = new HttpRequestMessage(HttpMethod.Post, m.H.Url("/v1/images/edits")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);

        using var response = await m.H.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(("invalid_request_error", "request_too_large"), (error["type"]!.GetValue<string>(), error["code"]!.GetValue<string>()));
        Assert.Equal(before, m.Received("/openai/v1/images/edits").Count);
        Assert.Equal(413, (await m.RecordOf(response)).Status);
    }

    [Fact]
    public async Task UpstreamRefusal_OpenAIErrorRelayedAsIs()
    {
        const string Refusal = """{"error":{"message":"Your request was rejected by our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}""";
        m.Fake.FailNext("/openai/v1/images/generations", 400, Refusal);

        using var response = await m.H.SendAsync(m.H.Post("/v1/images/generations", """{"model":"dall-e-3","prompt":"forbidden","response_format":"b64_json"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Refusal, await response.Content.ReadAsStringAsync());
        Assert.Equal(("content_policy", 0L), ((await m.RecordOf(response)).ErrorKind, (await m.RecordOf(response)).CostMicros));
    }

    [Fact]
    public async Task Edit_SentAsJson_415()
    {
        using var response = await m.H.SendAsync(m.H.Post("/v1/images/edits", """{"model":"gpt-image-1","prompt":"x"}"""));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("multipart/form-data", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

using System.ClientModel;
using System.Net;
using System.Text.Json.Nodes;
using OpenAI.Images;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/images/generations</c> on Bedrock image models through the official OpenAI SDK's image client, against the
/// fake Bedrock runtime that checks every SigV4 signature: Titan Image Generator v2 and a Stability model translated to
/// their <c>InvokeModel</c> bodies and back, costs per image by size and quality, <c>url</c> and fields without an
/// equivalent refused by name (with fallback to a deployment that can), and a filtered Stability image not counted.
/// </summary>
public sealed class BedrockImagesTests : IAsyncLifetime
{
    private const string Titan = "amazon.titan-image-generator-v2:0";
    private const string Sd35 = "stability.sd3-5-large-v1:0";
    private static readonly AwsCredentials Credentials = new("AKIAIMAGESTESTKEY", "images/secret+key", null);

    private FakeBedrockUpstream bedrock = null!;
    private GatewayHarness h = null!;

    public async Task InitializeAsync()
    {
        bedrock = await FakeBedrockUpstream.StartAsync(Credentials, "us-west-2");
        var yaml = $$$"""
            auth:
              keys:
                - { id: app, hash: {{APP_HASH}} }
            providers:
              aws:
                kind: bedrock
                base_url: {{{bedrock.BaseUrl}}}
                settings: { region: us-west-2, access_key_id_env: IMG_AWS_KEY_ID, secret_access_key_env: IMG_AWS_SECRET }
            deployments:
              titan:
                provider: aws
                model: {{{Titan}}}
                price: { per_image_by: { "1024x1024/standard": 0.01, "1024x1024/hd": 0.012, "1024x1024/high": 0.012 } }
              sd35: { provider: aws, model: {{{Sd35}}}, price: { per_image: 0.08 } }
            models:
              titan-image: titan
              sd35: sd35
              sd-then-titan: { deployments: [sd35], fallbacks: [titan] }
            """;
        h = await GatewayHarness.StartAsync(yaml, fakes: 0,
            env: new Dictionary<string, string> { ["IMG_AWS_KEY_ID"] = Credentials.AccessKeyId, ["IMG_AWS_SECRET"] = Credentials.SecretAccessKey });
    }

    public async Task DisposeAsync()
    {
        await h.DisposeAsync();
        await bedrock.DisposeAsync();
    }

    [Fact]
    public async Task Titan_ViaSdk_SignedInvoke_TranslatedBothWays_CostBySizeAndQuality()
    {
        var result = await Client("titan-image").GenerateImagesAsync("a fox", 2, new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1024xH1024,
            Quality = GeneratedImageQuality.High,
            ResponseFormat = GeneratedImageFormat.Bytes,
        });

        Assert.Equal([BedrockImageModels.Image(0), BedrockImageModels.Image(1)], result.Value.Select(i => i.ImageBytes.ToArray()));
        var sent = Assert.Single(bedrock.Requests);
        Assert.Null(sent.SignatureProblem);
        Assert.Equal("/model/amazon.titan-image-generator-v2%3A0/invoke", sent.RawTarget);
        var body = sent.Json!;
        Assert.Equal(("TEXT_IMAGE", "a fox"), (body["taskType"]!.GetValue<string>(), body["textToImageParams"]!["text"]!.GetValue<string>()));
        var config = body["imageGenerationConfig"]!;
        Assert.Equal((2, 1024, 1024, "premium"), (config["numberOfImages"]!.GetValue<int>(), config["width"]!.GetValue<int>(), config["height"]!.GetValue<int>(), config["quality"]!.GetValue<string>()));
        var record = await h.UsageAsync(RequestId(result));
        Assert.Equal(("images.generations", "titan", 24_000L), (record.Operation, record.FinalDeployment, record.CostMicros)); // 2 × $0.012
    }

    [Fact]
    public async Task Stability_AspectRatioAndFormat_OneImageCosted()
    {
        using var response = await h.SendAsync(h.Post("/v1/images/generations", """{"model":"sd35","prompt":"a red cube","size":"1792x1024","output_format":"jpeg","user":"u-7"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(BedrockImageModels.Image(0), Convert.FromBase64String(Assert.Single(answer["data"]!.AsArray())!["b64_json"]!.GetValue<string>()));
        var sent = Assert.Single(bedrock.Requests);
        Assert.Null(sent.SignatureProblem);
        Assert.Equal("""{"prompt":"a red cube","mode":"text-to-image","aspect_ratio":"16:9","output_format":"jpeg"}""", sent.Body);
        Assert.Equal(80_000, (await h.UsageAsync(GatewayHarness.RecordId(response))).CostMicros);
    }

    [Fact]
    public async Task TwoImagesFromStability_Refused_FallsBackToTitan()
    {
        using var response = await h.SendAsync(h.Post("/v1/images/generations", """{"model":"sd-then-titan","prompt":"two boats","n":2,"size":"1024x1024","quality":"standard"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("titan", "unsupported_capability"), (Wire.Header(response, "x-switchyard-deployment"), Wire.Header(response, "x-switchyard-fallback-reason")));
        Assert.Equal("/model/amazon.titan-image-generator-v2%3A0/invoke", Assert.Single(bedrock.Requests).RawTarget); // Stability never called
        Assert.Equal(20_000, (await h.UsageAsync(GatewayHarness.RecordId(response))).CostMicros);
    }

    [Fact]
    public async Task UrlAskedOrUnknownField_400NamingIt_NothingSent()
    {
        using var url = await h.SendAsync(h.Post("/v1/images/generations", """{"model":"titan-image","prompt":"x","response_format":"url"}"""));
        using var style = await h.SendAsync(h.Post("/v1/images/generations", """{"model":"sd35","prompt":"x","style":"vivid"}"""));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (url.StatusCode, style.StatusCode));
        Assert.Equal("response_format", JsonNode.Parse(await url.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
        Assert.Equal("style", JsonNode.Parse(await style.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());
        Assert.Empty(bedrock.Requests);
    }

    [Fact]
    public async Task StabilityFiltersThePrompt_NoImageAnswered_NothingBilled()
    {
        using var response = await h.SendAsync(h.Post("/v1/images/generations", """{"model":"sd35","prompt":"something forbidden"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsArray());
        Assert.Equal(0, (await h.UsageAsync(GatewayHarness.RecordId(response))).CostMicros);
    }

    private ImageClient Client(string model) => new(model, new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

    private static string RequestId(ClientResult result) =>
        result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) ? id! : throw new InvalidOperationException("no request id");
}

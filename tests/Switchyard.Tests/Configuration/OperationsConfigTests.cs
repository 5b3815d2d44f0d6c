using Switchyard.Usage;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>
/// <c>deployments.X.operations</c> and the media rates of <c>price:</c> (docs/adr/0017-beyond-chat.md): inferred from the
/// model id when absent, narrowed by the provider kind, refused by name when unknown or beyond the kind, and priced.
/// </summary>
public sealed class OperationsConfigTests
{
    private const string Providers = """
        providers:
          oa: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
          gem: { kind: gemini, base_url: "http://127.0.0.1:9/v1beta", api_key_env: K }
          co: { kind: cohere, base_url: "http://127.0.0.1:9/v2", api_key_env: K }

        """;

    private static readonly Func<string, string?> Keys = Env(("K", "k"));

    [Theory]
    [InlineData("oa", "gpt-4o-mini", OperationKinds.ChatDefault)]
    [InlineData("oa", "dall-e-3", OperationKinds.Images | OperationKinds.ImageEdits)]
    [InlineData("oa", "gpt-image-1", OperationKinds.Images | OperationKinds.ImageEdits)]
    [InlineData("oa", "tts-1-hd", OperationKinds.Speech)]
    [InlineData("oa", "gpt-4o-mini-tts", OperationKinds.Speech)]
    [InlineData("oa", "whisper-large-v3", OperationKinds.Transcriptions | OperationKinds.Translations)]
    [InlineData("oa", "gpt-4o-transcribe", OperationKinds.Transcriptions)]
    [InlineData("oa", "omni-moderation-latest", OperationKinds.Moderations)]
    [InlineData("gem", "imagen-4.0-generate-001", OperationKinds.Images)]
    [InlineData("gem", "gemini-2.5-flash", OperationKinds.ChatDefault)]
    [InlineData("co", "rerank-v3.5", OperationKinds.Rerank)]
    [InlineData("co", "my-finetune", OperationKinds.Rerank)] // a rerank-only kind: whatever its model is called
    public void LoadYaml_NoOperations_InferredFromTheModelWithinTheKind(string provider, string model, OperationKinds expected)
    {
        var config = LoadValid(Providers + $"deployments:\n  d: {{ provider: {provider}, model: {model} }}\n", Keys);

        Assert.Equal(expected, config.Deployments["d"].Operations);
    }

    [Fact]
    public void LoadYaml_OperationsListed_ExactlyThose()
    {
        var config = LoadValid(Providers + "deployments:\n  d: { provider: oa, model: my-image-server, operations: [images, chat] }\n", Keys);

        Assert.Equal(OperationKinds.Images | OperationKinds.Chat, config.Deployments["d"].Operations);
    }

    [Fact]
    public void LoadYaml_UnknownOperation_RefusedWithAHint()
    {
        var message = SingleErrorAt(Providers + "deployments:\n  d: { provider: oa, model: m, operations: [imagess] }\n", "deployments.d.operations[0]", Keys);

        Assert.StartsWith("unknown operation 'imagess' (did you mean 'images'?)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadYaml_OperationTheKindDoesNotServe_Refused()
    {
        var message = SingleErrorAt(Providers + "deployments:\n  d: { provider: gem, model: m, operations: [speech] }\n", "deployments.d.operations[0]", Keys);

        Assert.Equal("provider kind 'gemini' does not serve 'speech'", message);
    }

    [Fact]
    public void LoadYaml_MediaRatesWithoutTokenRates_BoundAndPriced()
    {
        var config = LoadValid(Providers + """
            deployments:
              d:
                provider: oa
                model: dall-e-3
                price: { per_image: 0.04, per_image_by: { "1024x1024/hd": 0.08, "1792x1024": 0.12 }, per_second: 0.0001, per_million_characters: 15, per_search_unit: 0.002 }
            """, Keys);

        var price = config.Deployments["d"].Price!;
        Assert.Equal((0m, 0m), (price.Input, price.Output));
        Assert.Equal((0.08m, 0.12m, 0.04m), (price.ImageRate("1024x1024", "hd")!.Value, price.ImageRate("1792x1024", "hd")!.Value, price.ImageRate("512x512", null)!.Value));
        var media = new MediaUsage { Images = 2, Size = "1024x1024", Quality = "hd", Characters = 1000, Seconds = 60, SearchUnits = 3 };
        Assert.Equal(160_000m + 15_000m + 6_000m + 6_000m, CostCalculator.MediaMicros(media, price));
    }

    [Fact]
    public void LoadYaml_NegativeMediaRate_Refused()
    {
        var message = SingleErrorAt(Providers + "deployments:\n  d: { provider: oa, model: tts-1, price: { per_million_characters: -1 } }\n",
            "deployments.d.price.per_million_characters", Keys);

        Assert.Equal("must be a non-negative number (USD)", message);
    }
}

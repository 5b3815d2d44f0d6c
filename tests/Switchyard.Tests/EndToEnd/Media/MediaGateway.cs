using System.ClientModel;
using System.ClientModel.Primitives;
using Switchyard.Tests.TestKit.Media;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// A real gateway in front of <see cref="FakeMediaUpstream"/>: OpenAI-compatible image, audio and moderation models,
/// Imagen on Gemini, and Cohere, Jina and Voyage rerankers, each priced in its own unit. Shared by the media tests of
/// one class; each test finds its own record by request id.
/// </summary>
public sealed class MediaGateway : IAsyncLifetime
{
    /// <summary>The largest upload the gateway takes in these tests.</summary>
    public const int UploadLimit = 64 * 1024;

    private GatewayHarness? harness;

    /// <summary>The fake upstream.</summary>
    public FakeMediaUpstream Fake { get; private set; } = null!;

    /// <summary>The gateway.</summary>
    internal GatewayHarness H => harness!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Fake = await FakeMediaUpstream.StartAsync();
        var url = Fake.BaseUrl;
        var yaml = $$$"""
            auth:
              keys:
                - { id: app, hash: {{APP_HASH}} }
                - { id: ops, hash: {{OPS_HASH}}, role: operator }
            server:
              max_upload_size: {{{UploadLimit}}}
            providers:
              oa: { kind: openai-compatible, base_url: "{{{url}}}/openai/v1", api_key: "${MEDIA_KEY}" }
              oa-down: { kind: openai-compatible, base_url: "{{CLOSED}}", api_key: "${MEDIA_KEY}" }
              gem: { preset: gemini, base_url: "{{{url}}}/gemini/v1beta", api_key: "${MEDIA_KEY}" }
              co: { preset: cohere, base_url: "{{{url}}}/cohere/v2", api_key: "${MEDIA_KEY}" }
              ji: { kind: jina, base_url: "{{{url}}}/jina/v1", api_key: "${MEDIA_KEY}" }
              vo: { preset: voyage, base_url: "{{{url}}}/voyage/v1", api_key: "${MEDIA_KEY}" }
            deployments:
              dalle:
                provider: oa
                model: dall-e-3
                price: { per_image_by: { "1024x1024/standard": 0.04, "1024x1024/hd": 0.08, "1024x1024/high": 0.08, "1792x1024": 0.12 } }
              gpt-image: { provider: oa, model: gpt-image-1, price: { input: 5, output: 40 } }
              imagen: { provider: gem, model: imagen-4.0-generate-001, price: { per_image: 0.04 } }
              tts: { provider: oa, model: tts-1, price: { per_million_characters: 15 } }
              tts-down: { provider: oa-down, model: tts-1, price: { per_million_characters: 15 } }
              whisper: { provider: oa, model: whisper-1, price: { per_second: 0.0001 } }
              moderation: { provider: oa, model: omni-moderation-latest }
              cohere-rr: { provider: co, model: rerank-v4.0-pro }
              jina-rr: { provider: ji, model: jina-reranker-v2-base-multilingual, price: { input: 0.02, output: 0 } }
              voyage-rr: { provider: vo, model: rerank-2.5 }
              chat-a: { provider: oa, model: gpt-4o-mini }
            models:
              dall-e-3: dalle
              gpt-image-1: gpt-image
              imagen: imagen
              images-any: { deployments: [imagen], fallbacks: [dalle] }
              mixed: { deployments: [chat-a], fallbacks: [dalle] }
              tts-1: { deployments: [tts-down], fallbacks: [tts], retry: { max_retries: 0 } }
              whisper-1: whisper
              omni-moderation-latest: moderation
              rerank-cohere: cohere-rr
              rerank-jina: jina-rr
              rerank-voyage: voyage-rr
            """;
        harness = await GatewayHarness.StartAsync(yaml, fakes: 0, env: new Dictionary<string, string> { ["MEDIA_KEY"] = FakeMediaUpstream.Key });
    }

    /// <summary>The record of the request an SDK call made (its <c>x-request-id</c>).</summary>
    public Task<UsageRecord> RecordOf(ClientResult result)
    {
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id));
        return H.UsageAsync(id!);
    }

    /// <summary>The record of a raw response.</summary>
    public Task<UsageRecord> RecordOf(HttpResponseMessage response) => H.UsageAsync(GatewayHarness.RecordId(response));

    /// <summary>The fake's requests whose path ends with <paramref name="end"/>.</summary>
    public IReadOnlyList<MediaRequest> Received(string end) => [.. Fake.Requests.Where(r => r.Path.EndsWith(end, StringComparison.Ordinal))];

    /// <summary>SDK credential for the gateway's client key.</summary>
    public static ApiKeyCredential Key => new(GatewayHarness.ClientKey);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (harness is not null)
        {
            await harness.DisposeAsync();
        }

        await Fake.DisposeAsync();
    }
}

using Anthropic;
using Anthropic.Core;

namespace Switchyard.Tests.EndToEnd.Cache;

/// <summary>The configuration and clients the exact cache's end-to-end tests share.</summary>
internal static class CacheHarness
{
    /// <summary>A second key of team <c>red</c> (as <c>app</c>), and a key of team <c>blue</c>.</summary>
    public const string RedKey = "sk-red-two-e2e-0a1b2c";
    public const string BlueKey = "sk-blue-e2e-3d4e5f";

    public static readonly Dictionary<string, string> Env = new() { ["RED_KEY"] = RedKey, ["BLUE_KEY"] = BlueKey };

    /// <summary>
    /// <c>cached</c>: dep-a, key scope, 10 minutes, no retries; <c>team-cached</c>: the same with team scope;
    /// <c>plain</c>: dep-a without a cache; route <c>short</c>: <c>cached</c> with a 1 minute route cache.
    /// dep-a is priced at $2 / $8 per million tokens.
    /// </summary>
    public const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}}, team: red }
            - { id: red2, key_env: RED_KEY, team: red }
            - { id: blue, key_env: BLUE_KEY, team: blue }
            - { id: ops, hash: {{OPS_HASH}}, role: operator }
        teams:
          red: { name: Red }
          blue: { name: Blue }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        cache:
          max_bytes: 4MiB
          max_entry_bytes: 256KiB
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 2, output: 8 } }
        models:
          cached:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 10m }
          team-cached:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 10m, scope: team }
          plain:
            deployments: [dep-a]
            max_attempts: 1
          metrics-cached:
            deployments: [dep-a]
            cache: { ttl: 10m }
        routes:
          short:
            primary_model: cached
            cache: { ttl: 1m }
        """;

    /// <summary>Starts a gateway on <see cref="Yaml"/> with one fake upstream.</summary>
    public static Task<GatewayHarness> StartAsync(TimeProvider? time = null) => GatewayHarness.StartAsync(Yaml, fakes: 1, env: Env, time: time);

    /// <summary>The official Anthropic SDK pointed at the gateway, with the client key.</summary>
    public static AnthropicClient AnthropicSdk(GatewayHarness h, string key = GatewayHarness.ClientKey) => new(new ClientOptions
    {
        BaseUrl = h.Gateway.BaseAddress.AbsoluteUri.TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
    });

    /// <summary>
    /// POSTs a chat body with extra headers, reads the whole answer, and waits for the request's usage record: Settle
    /// writes it after the store stage, so once it exists the answer is in the cache (a client holding the whole body
    /// can otherwise send its next request a moment before the gateway has stored the previous answer).
    /// </summary>
    public static async Task<HttpResponseMessage> PostAsync(GatewayHarness h, string json, string key = GatewayHarness.ClientKey,
        params (string Name, string Value)[] headers)
    {
        var request = h.Post("/v1/chat/completions", json, key);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await h.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        await h.UsageAsync(GatewayHarness.RecordId(response));
        return response;
    }

    /// <summary>Waits until <paramref name="count"/> requests are settled (their records written, so their answers stored).</summary>
    public static Task SettledAsync(GatewayHarness h, int count) => h.UsageRecordsAsync(count);

    /// <summary>The <c>x-switchyard-cache</c> answer.</summary>
    public static string? CacheHeader(HttpResponseMessage response) => Wire.Header(response, "x-switchyard-cache");
}

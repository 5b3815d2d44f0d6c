#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.Text;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using OpenAI.Responses;

namespace Switchyard.Tests.EndToEnd.Guardrails;

/// <summary>The configuration and clients the guardrails' end-to-end tests share (one fake OpenAI upstream).</summary>
internal static class GuardrailsHarness
{
    /// <summary>A key whose own policy (<c>key-secrets</c>) applies to whatever alias it calls.</summary>
    public const string GuardedKey = "sk-guarded-e2e-5e6f7a";

    public static readonly Dictionary<string, string> Env = new() { ["GUARDED_KEY"] = GuardedKey };

    /// <summary>One alias per policy, each on dep-a (the fake) with no retries; <c>moderator</c> answers moderation calls.</summary>
    public const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
            - { id: guarded, key_env: GUARDED_KEY, guardrails: key-secrets }
            - { id: ops, hash: {{OPS_HASH}}, role: operator }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        guardrails:
          in-redact:
            input:
              - { type: pii, action: redact, restore: true }
          in-block:
            input:
              - { type: secrets, action: block }
              - { type: keywords, name: banned, words: [forbidden-topic] }
              - { type: max_chars, limit: 2000 }
          in-flag:
            input:
              - { type: pii, action: flag }
          tokens:
            input:
              - { type: max_tokens, limit: 40 }
          key-secrets:
            input:
              - { type: secrets, action: block }
          out-redact:
            output:
              - { type: pii, action: redact }
          out-block:
            output:
              - { type: pii, detect: [email], action: block }
          schema-block:
            output:
              - { type: json_schema, action: block }
          schema-flag:
            output:
              - { type: json_schema, action: flag }
          mod-allow:
            input:
              - { type: moderation, alias: moderator, deadline: 2s, on_timeout: allow }
          mod-block:
            input:
              - { type: moderation, alias: moderator, deadline: 2s, on_timeout: block }
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          mod-a: { provider: up-a, model: omni-moderation-latest }
        models:
          redact-in: { deployments: [dep-a], max_attempts: 1, guardrails: in-redact }
          block-in: { deployments: [dep-a], max_attempts: 1, guardrails: in-block }
          flag-in: { deployments: [dep-a], max_attempts: 1, guardrails: in-flag }
          redact-out: { deployments: [dep-a], max_attempts: 1, guardrails: out-redact }
          block-out: { deployments: [dep-a], max_attempts: 1, guardrails: out-block }
          schema-block: { deployments: [dep-a], max_attempts: 1, guardrails: schema-block }
          schema-flag: { deployments: [dep-a], max_attempts: 1, guardrails: schema-flag }
          mod-allow: { deployments: [dep-a], max_attempts: 1, guardrails: mod-allow }
          mod-block: { deployments: [dep-a], max_attempts: 1, guardrails: mod-block }
          tokens-in: { deployments: [dep-a], max_attempts: 1, guardrails: tokens }
          plain: { deployments: [dep-a], max_attempts: 1 }
          moderator: mod-a
        """;

    /// <summary>An answer with an email split over two SSE chunks, and what the client must see instead.</summary>
    public static readonly string[] SplitEmail = ["Write to jane.do", "e@example.com or call +44 20 79", "46 0958 today."];

    public const string SplitEmailRedacted = "Write to [EMAIL_1] or call [PHONE_1] today.";

    public static Task<GatewayHarness> StartAsync(TimeProvider? time = null) => GatewayHarness.StartAsync(Yaml, fakes: 1, env: Env, time: time);

    public static AnthropicClient AnthropicSdk(GatewayHarness h) => new(new ClientOptions
    {
        BaseUrl = h.Gateway.BaseAddress.AbsoluteUri.TrimEnd('/'),
        ApiKey = GatewayHarness.ClientKey,
        MaxRetries = 0,
    });

    public static ResponsesClient ResponsesSdk(GatewayHarness h) =>
        new(new ApiKeyCredential(GatewayHarness.ClientKey), new ResponsesClientOptions { Endpoint = h.ApiBase });

    /// <summary>The text an Anthropic SDK stream delivered.</summary>
    public static async Task<string> AnthropicStreamAsync(GatewayHarness h, string model, string prompt)
    {
        var text = new StringBuilder();
        var ask = new MessageCreateParams { Model = model, MaxTokens = 200, Messages = [new UserMessageParam(prompt)] };
        await foreach (var ev in AnthropicSdk(h).Messages.CreateStreaming(ask))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
        }

        return text.ToString();
    }

    /// <summary>The text a Responses SDK stream delivered.</summary>
    public static async Task<string> ResponsesStreamAsync(GatewayHarness h, string model, string prompt)
    {
        var text = new StringBuilder();
        await foreach (var update in await ResponsesSdk(h).CreateResponseStreamingAsync(model, prompt))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
        }

        return text.ToString();
    }
}

using Switchyard.Providers.OpenAI;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>
/// A hedged attempt that lost the race was still sent the prompt, and its provider bills it: its cost goes to the
/// record's hedge-loser fields (reported if its usage arrived before it was cancelled, else estimated), apart from
/// the winner's usage. The slow upstream stalls far past the fixed 100 ms hedge delay, so the loser is known by
/// construction.
/// </summary>
public sealed class HedgeLoserMeteringTests
{
    private const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        providers:
          s: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          f: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
        deployments:
          slow-d: { provider: s, model: gpt-4o-mini }
          fast-d: { provider: f, model: fast-model }
        models:
          hedged:
            deployments:
              - { deployment: slow-d, priority: 0 }
              - { deployment: fast-d, priority: 1 }
            hedge: { delay: 100ms, max_share: 100% }
          patient:
            deployments:
              - { deployment: slow-d, priority: 0 }
              - { deployment: fast-d, priority: 1 }
            hedge: { delay: 60s }
        """;

    [Fact]
    public async Task SlowPrimaryLoses_ItsPromptIsRecordedAsTheLosersCost()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.Fakes[0].Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(30)));

        var (_, record, _) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("hedged", content: "Describe the sea in one short sentence, please."));

        Assert.True(record.Hedged);
        Assert.Equal("fast-d", record.FinalDeployment);
        Assert.Equal("reported", record.UsageSource); // the winner's own usage, as its upstream reported it
        Assert.Equal(FakeUsage.Default.PromptTokens, record.PromptTokens);
        Assert.Contains("slow-d:hedge_lost", record.AttemptLog);
        Assert.True(record.HedgeLoserPromptTokens >= MeteringKit.O200kTokens("Describe the sea in one short sentence, please."),
            $"loser prompt tokens {record.HedgeLoserPromptTokens}");
        Assert.Equal(0, record.HedgeLoserCompletionTokens); // it sent nothing back before it was cancelled
        await h.Fakes[0].WaitForAbortAsync(GatewayHarness.Bound);
    }

    [Fact]
    public async Task SlowPrimaryStreamLoses_ItsPromptIsRecordedAsTheLosersCost()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.Fakes[0].Enqueue(UpstreamBehavior.Stall(0)); // headers, then nothing: no event to commit with

        var (_, record, body) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("hedged", stream: true));

        Assert.Contains("[DONE]", body);
        Assert.Equal("fast-d", record.FinalDeployment);
        Assert.Contains("slow-d:hedge_lost", record.AttemptLog);
        Assert.True(record.HedgeLoserPromptTokens > 0);
        Assert.Equal(FakeUsage.Default.CompletionTokens, record.CompletionTokens);
    }

    [Fact]
    public async Task NoHedgeStarted_NoLoserCost()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);

        var (_, record, _) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("patient")); // a 60 s hedge delay: the primary always answers first

        Assert.False(record.Hedged);
        Assert.Equal(0, record.HedgeLoserPromptTokens);
        Assert.Equal(0, record.HedgeLoserCompletionTokens);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Providers.OpenAI;
using Switchyard.Tests.Configuration;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>
/// What Settle writes as a record's cost: the answer and a hedge loser, each at its own deployment's price in effect
/// on the request's day; the price versions used; and an unpriced model costed 0 and logged once.
/// </summary>
public sealed class CostMeterTests
{
    private const string Yaml = """
        providers:
          openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
          gem: { preset: gemini, base_url: "http://127.0.0.1:9/v1beta", api_key_env: K }
          local: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
        deployments:
          mini: { provider: openai, model: gpt-4o-mini }
          own: { provider: openai, model: gpt-4o-mini, price: { input: 1, output: 2 } }
          flash38: { provider: gem, model: gemini-3.8-flash }
          mystery: { provider: local, model: mystery-model }
          other-mystery: { provider: local, model: other-model }
        """;

    private static readonly GatewayConfig Config = ConfigTestSupport.LoadValid(Yaml, ConfigTestSupport.Env(("K", "k")));

    private static readonly DateTimeOffset Day = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private readonly CapturingLogger<CostMeter> log = new();

    private static GatewayContext Context(string deployment, TokenUsage usage, DateTimeOffset? at = null)
    {
        var table = RouteTable.Build(Config, new KeyPoolRegistry(TimeProvider.System));
        var ctx = new GatewayContext(new DefaultHttpContext(), OpenAIChatFormat.Instance, Operation.ChatCompletions, table, "req_test", 0,
            (at ?? Day).ToUnixTimeMilliseconds())
        {
            Final = DeploymentTarget.Create(Config.Deployments[deployment]),
            Usage = usage,
        };
        ctx.AttemptCount = 1;
        return ctx;
    }

    [Fact]
    public void Cost_BookPrice_PriceTimesTokensAndItsVersion()
    {
        var cost = new CostMeter(log).Cost(Context("mini", new TokenUsage { InputTokens = 1000, CacheReadTokens = 400, OutputTokens = 100 }));

        // gpt-4o-mini: 600 × $0.15 + 400 × $0.075 + 100 × $0.60
        Assert.Equal(new RecordCost(180, "book:2026-12-06"), cost);
    }

    [Fact]
    public void Cost_Override_WinsAndSaysConfig()
    {
        var cost = new CostMeter(log).Cost(Context("own", new TokenUsage { InputTokens = 1000, CacheReadTokens = 400, OutputTokens = 100 }));

        // No cached rate in the override: the cached tokens cost the override's input rate.
        Assert.Equal(new RecordCost(1200, "config"), cost);
    }

    [Fact]
    public void Cost_EffectiveDating_TheRequestsDayDecides()
    {
        var meter = new CostMeter(log);
        var usage = new TokenUsage { InputTokens = 1000, OutputTokens = 1000 };

        Assert.Equal(new RecordCost(4500, "book:2026-09-20"),
            meter.Cost(Context("flash38", usage, new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero))));
        Assert.Equal(new RecordCost(9000, "book:2027-01-01"), meter.Cost(Context("flash38", usage, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero))));
    }

    [Fact]
    public void Cost_Unpriced_ZeroNoVersionAndOneLogLinePerModel()
    {
        var meter = new CostMeter(log);
        var usage = new TokenUsage { InputTokens = 10, OutputTokens = 5 };

        Assert.Equal(new RecordCost(0, null), meter.Cost(Context("mystery", usage)));
        Assert.Equal(new RecordCost(0, null), meter.Cost(Context("mystery", usage)));
        meter.Cost(Context("other-mystery", usage));

        var lines = log.Entries.Where(e => e.Id.Id == 3040).Select(e => e.Message).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("No price for model 'mystery-model' of provider 'local'", lines[0], StringComparison.Ordinal);
        Assert.Contains("deployments.mystery.price", lines[0], StringComparison.Ordinal);
        Assert.Contains("'other-model'", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Cost_NoUpstreamOrNoTokens_NothingLogged()
    {
        var meter = new CostMeter(log);
        var refused = Context("mystery", default);
        refused.AttemptCount = 0;

        Assert.Equal(default, meter.Cost(refused));
        Assert.Equal(default, meter.Cost(Context("mystery", default)));
        Assert.Empty(log.Entries);
    }

    [Fact]
    public void Cost_HedgeLoser_BilledAtItsOwnPriceAndBothVersionsListed()
    {
        var ctx = Context("mini", new TokenUsage { InputTokens = 1000, OutputTokens = 100 });
        using var loser = new DeliveredContent(DeploymentTarget.Create(Config.Deployments["own"]), null)
        {
            Billed = new TokenUsage { InputTokens = 1000, OutputTokens = 40 },
        };
        ctx.HedgeLoser = loser;

        // Answer: 1000 × $0.15 + 100 × $0.60 = 210; loser: 1000 × $1 + 40 × $2 = 1080. One rounding for the record.
        Assert.Equal(new RecordCost(1290, "book:2026-12-06,config"), new CostMeter(log).Cost(ctx));
    }

    [Fact]
    public void Cost_HedgeLoserOnTheSamePrice_VersionOnce()
    {
        var ctx = Context("mini", new TokenUsage { InputTokens = 1, OutputTokens = 1 });
        using var loser = new DeliveredContent(DeploymentTarget.Create(Config.Deployments["mini"]), null) { Billed = new TokenUsage { InputTokens = 1 } };
        ctx.HedgeLoser = loser;

        // 0.15 + 0.60 + 0.15 = 0.90 µ$: rounded once, to 1 (per part it would be 0 + 1 + 0).
        Assert.Equal(new RecordCost(1, "book:2026-12-06"), new CostMeter(log).Cost(ctx));
    }

    private sealed class CapturingLogger<T> : ILogger<T>
    {
        private readonly CapturingLogger inner = new();

        public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries => inner.Entries;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}

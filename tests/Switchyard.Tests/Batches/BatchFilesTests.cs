using System.Text;
using Switchyard.Batches;
using Switchyard.Canonical;
using Switchyard.Tests.Configuration;

namespace Switchyard.Tests.Batches;

/// <summary>
/// The batch files read line by line: an input file checked and rewritten (CRLF, no final newline, an escaped model,
/// a line past the bound), an output file summed per model (Chat Completions' and Responses' usage, failed lines,
/// a line past the bound skipped), and the price book's batch share with its cost.
/// </summary>
public sealed class BatchFilesTests
{
    private const string Yaml = """
        providers:
          openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
        deployments:
          mini: { provider: openai, model: gpt-4o-mini, operations: [chat, batches] }
          own: { provider: openai, model: gpt-4o-mini, price: { input: 1, output: 2, batch: 0.25 } }
        """;

    private static readonly GatewayConfig Config = ConfigTestSupport.LoadValid(Yaml, ConfigTestSupport.Env(("K", "k")));

    private static DeploymentTarget Mini => DeploymentTarget.Create(Config.Deployments["mini"]);

    [Fact]
    public async Task Input_CrlfAndNoFinalNewlineAndEscapes_RewrittenLineByLine()
    {
        var input = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"x\",\"model\":\"ch\\u0065ap\"}}\r\n\r\n"
            + "{\"body\":{\"model\":\"cheap\",\"input\":\"y\"},\"url\":\"/v1/embeddings\",\"method\":\"POST\",\"custom_id\":\"b\"}";
        var asked = new List<string>();

        var (result, output) = await Rewrite(input, model => { asked.Add(model); return (Mini, null); });

        Assert.Null(result.Error);
        Assert.Equal((2L, "cheap", "mini"), (result.Lines, result.Alias, result.Deployment!.Name));
        Assert.Equal(["cheap"], asked); // the first line decides; the second only has to match
        Assert.Equal("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"x\",\"model\":\"gpt-4o-mini\"}}\n"
            + "{\"body\":{\"model\":\"gpt-4o-mini\",\"input\":\"y\"},\"url\":\"/v1/embeddings\",\"method\":\"POST\",\"custom_id\":\"b\"}\n", output);
    }

    [Fact]
    public async Task Input_LinePastTheBound_RefusedNamingIt_WithoutHoldingMore()
    {
        var head = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"cheap\"}}\n";
        var huge = "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"cheap\",\"input\":\"" + new string('x', BatchInput.MaxLineBytes) + "\"}}\n";

        var (result, _) = await Rewrite(head + huge, _ => (Mini, null));

        Assert.Equal($"Line 2 is longer than {BatchInput.MaxLineBytes} bytes.", result.Error!.Value.Message);
    }

    [Fact]
    public async Task Input_Empty_Refused()
    {
        var (result, _) = await Rewrite("\n\n", _ => (Mini, null));

        Assert.Equal("The batch input file has no requests.", result.Error!.Value.Message);
    }

    [Fact]
    public async Task Output_SummedPerModel_FailedAndUnreadableLinesNotCounted()
    {
        var lines = string.Join('\n',
            """{"id":"r1","custom_id":"a","response":{"status_code":200,"body":{"model":"gpt-4o-mini-2024-07-18","usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}},"error":null}""",
            """{"id":"r2","custom_id":"b","response":{"status_code":200,"body":{"model":"gpt-4o-mini-2024-07-18","usage":{"prompt_tokens":5,"completion_tokens":2}}},"error":null}""",
            """{"id":"r3","custom_id":"c","response":{"status_code":200,"body":{"model":"o4-mini","usage":{"input_tokens":7,"output_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens_details":{"reasoning_tokens":6}}}},"error":null}""",
            """{"id":"r4","custom_id":"d","response":null,"error":{"code":"batch_expired","message":"expired"}}""",
            "not json");
        var output = new BatchOutput();

        await output.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(lines)), CancellationToken.None);

        Assert.Equal(1, output.Skipped);
        Assert.Collection(output.Models,
            m => Assert.Equal(("gpt-4o-mini-2024-07-18", 15L, 5L, 4L, 1L, 2), (m.Model, m.Usage.InputTokens, m.Usage.OutputTokens, m.Usage.CacheReadTokens, m.Usage.ReasoningTokens, m.Requests)),
            m => Assert.Equal(("o4-mini", 7L, 9L, 2L, 6L, 1), (m.Model, m.Usage.InputTokens, m.Usage.OutputTokens, m.Usage.CacheReadTokens, m.Usage.ReasoningTokens, m.Requests)));
    }

    [Fact]
    public async Task Output_LinePastTheBound_SkippedWhole_TheNextCounted()
    {
        var huge = "{\"pad\":\"" + new string('x', BatchOutput.MaxLineBytes) + "\"}";
        var next = """{"response":{"body":{"model":"m","usage":{"prompt_tokens":1,"completion_tokens":1}}}}""";
        var output = new BatchOutput();

        await output.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(huge + "\n" + next + "\n")), CancellationToken.None);

        Assert.Equal(1, output.Skipped);
        Assert.Equal(("m", 1), (Assert.Single(output.Models).Model, output.Models[0].Requests));
    }

    [Fact]
    public void Cost_TheBookHalvesOpenAIBatches_AFilesShareWins()
    {
        var used = new TokenUsage { InputTokens = 1_000_000, OutputTokens = 1_000_000 };
        var day = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var book = Config.Deployments["mini"].Price!.At(new DateOnly(2026, 12, 6));

        var (bookMicros, bookVersion) = BatchSettlement.Cost(Mini, used, day);
        var (ownMicros, ownVersion) = BatchSettlement.Cost(DeploymentTarget.Create(Config.Deployments["own"]), used, day);

        Assert.Equal(0.5m, book.BatchRate);
        Assert.Equal((long)((book.Input + book.Output) * 1_000_000 / 2), bookMicros);
        Assert.EndsWith(",batch:0.5", bookVersion, StringComparison.Ordinal);
        Assert.Equal((750_000L, "config,batch:0.25"), (ownMicros, ownVersion)); // ($1 + $2) × 0.25
    }

    [Fact]
    public void Config_BatchShareAboveOne_Refused()
    {
        var errors = ConfigTestSupport.LoadErrors(Yaml.Replace("batch: 0.25", "batch: 2", StringComparison.Ordinal), ConfigTestSupport.Env(("K", "k")));

        Assert.Contains(errors, e => e.Contains("deployments.own.price.batch", StringComparison.Ordinal) && e.Contains("from 0 to 1", StringComparison.Ordinal));
    }

    private static async Task<(BatchInputResult Result, string Output)> Rewrite(string input, Func<string, (DeploymentTarget?, ClientError?)> resolve)
    {
        using var target = new MemoryStream();
        var result = await BatchInput.RewriteAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)), target, resolve, CancellationToken.None);
        return (result, Encoding.UTF8.GetString(target.ToArray()));
    }
}

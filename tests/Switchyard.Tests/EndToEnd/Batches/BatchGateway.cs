using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using Switchyard.Tests.TestKit.Batches;
using Switchyard.Usage;

#pragma warning disable OPENAI001 // the SDK marks its batch client experimental; it is the client these endpoints must serve

namespace Switchyard.Tests.EndToEnd.Batches;

/// <summary>
/// A real gateway in front of <see cref="FakeBatchUpstream"/>: alias <c>cheap</c> is deployment <c>mini</c>
/// (<c>gpt-4o-mini</c>, batches listed in its operations, $0.15/$0.60 per million with $0.075 cached input, batches at
/// half price); <c>chat-only</c> is a deployment without the batches capability. Files are limited to
/// <see cref="FileLimit"/> bytes. One per test (several restart it).
/// </summary>
internal sealed class BatchGateway : IAsyncDisposable
{
    /// <summary>The largest file upload taken here.</summary>
    public const int FileLimit = 64 * 1024;

    private BatchGateway(FakeBatchUpstream fake, GatewayHarness harness, string yaml)
    {
        Fake = fake;
        H = harness;
        Yaml = yaml;
    }

    /// <summary>The fake provider.</summary>
    public FakeBatchUpstream Fake { get; }

    /// <summary>The gateway.</summary>
    public GatewayHarness H { get; }

    /// <summary>The configuration (for restarts).</summary>
    public string Yaml { get; }

    /// <summary>
    /// Starts the fake and a gateway on it; <paramref name="storage"/> is appended to the YAML (PostgreSQL), <paramref name="env"/> added,
    /// <paramref name="appKey"/> appended to key <c>app</c>'s entry (<c>, limits: { rpm: 2 }</c>), <paramref name="time"/> the gateway's clock.
    /// </summary>
    public static async Task<BatchGateway> StartAsync(string storage = "", IReadOnlyDictionary<string, string>? env = null, string appKey = "", TimeProvider? time = null)
    {
        var fake = await FakeBatchUpstream.StartAsync("gpt-4o-mini");
        var yaml = $$$"""
            auth:
              keys:
                - { id: app, hash: {{APP_HASH}}{{{appKey}}} }
                - { id: ops, hash: {{OPS_HASH}}, role: operator }
            server:
              max_file_size: {{{FileLimit}}}
            providers:
              oa: { kind: openai-compatible, base_url: "{{{fake.BaseUrl}}}/v1", api_key: "${BATCH_KEY}" }
            deployments:
              mini:
                provider: oa
                model: gpt-4o-mini
                operations: [chat, batches]
                price: { input: 0.15, output: 0.60, cached_input: 0.075, batch: 0.5 }
              chat-only: { provider: oa, model: gpt-4o }
            models:
              cheap: mini
              chat-only: chat-only
            {{{storage}}}
            """;
        var all = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["BATCH_KEY"] = FakeBatchUpstream.Key };
        try
        {
            return new BatchGateway(fake, await GatewayHarness.StartAsync(yaml, fakes: 0, env: all, time: time), yaml);
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    /// <summary>The SDK's file client with <paramref name="key"/>.</summary>
    public OpenAIFileClient Files(string key = GatewayHarness.ClientKey) => new OpenAIClient(new ApiKeyCredential(key), H.SdkOptions()).GetOpenAIFileClient();

    /// <summary>The SDK's batch client with <paramref name="key"/>.</summary>
    public BatchClient Batches(string key = GatewayHarness.ClientKey) => new OpenAIClient(new ApiKeyCredential(key), H.SdkOptions()).GetBatchClient();

    /// <summary>A batch input file of <paramref name="lines"/> chat requests to <paramref name="model"/>.</summary>
    public static string Jsonl(int lines, string model = "cheap")
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            text.Append($$$"""{"custom_id":"req-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","messages":[{"role":"user","content":"question {{{i}}}"}],"max_tokens":50}}""").Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Uploads <paramref name="jsonl"/> as a batch input file through the SDK.</summary>
    public async Task<OpenAIFile> UploadAsync(string jsonl, string key = GatewayHarness.ClientKey) =>
        (await Files(key).UploadFileAsync(BinaryData.FromString(jsonl), "input.jsonl", FileUploadPurpose.Batch)).Value;

    /// <summary>Creates a batch over <paramref name="fileId"/> through the SDK (not waiting for it).</summary>
    public Task<CreateBatchOperation> CreateAsync(string fileId, string key = GatewayHarness.ClientKey) =>
        Batches(key).CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"job":"nightly"}}""")), waitUntilCompleted: false);

    /// <summary>The usage records of batch <paramref name="batchId"/> (after a flush), however many there are.</summary>
    public async Task<IReadOnlyList<UsageRecord>> RecordsOfAsync(string batchId)
    {
        await H.Gateway.FlushUsageAsync();
        return [.. H.Gateway.Usage.Store.ReadRecent(1000).Where(r => r.RequestId == batchId || r.RequestId.StartsWith(batchId + ":", StringComparison.Ordinal))];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await H.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

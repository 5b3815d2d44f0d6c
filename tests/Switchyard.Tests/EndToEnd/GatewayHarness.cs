using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Auth;
using Switchyard.Hosting;
using Switchyard.Providers;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// One real gateway (Kestrel on 127.0.0.1:0, SQLite in a temp directory) in front of in-process fake OpenAI
/// upstreams. The YAML is a template: <c>{{FAKE0}}</c>, <c>{{FAKE1}}</c>... become the fakes' base URLs,
/// <c>{{CLOSED}}</c> a base URL on a port nothing listens on, <c>{{APP_HASH}}</c> the hash of <see cref="ClientKey"/>, <c>{{OPS_HASH}}</c> that of <see cref="OperatorKey"/>.
/// The environment the gateway sees holds only <c>UP_KEY</c> (= <see cref="ProviderKey"/>) plus what a test adds.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    /// <summary>The client key configured as id <c>app</c> in <see cref="DefaultYaml"/>.</summary>
    public const string ClientKey = "sk-app-e2e-7f3c9e1d5b2a";

    /// <summary>A key with the operator role (deployments, explain, drills), id <c>ops</c>; <c>{{OPS_HASH}}</c> is its hash.</summary>
    public const string OperatorKey = "sk-ops-e2e-91b0c4d2e6f8";

    /// <summary>The provider key every fake provider is configured with (through <c>${UP_KEY}</c>).</summary>
    public const string ProviderKey = "sk-upstream-provider-4d1e8a";

    /// <summary>Generous bound for any single wait, so a broken gateway fails a test instead of hanging it. Never a timing assertion.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>Auth and the two fake providers; tests append their own <c>deployments:</c> and <c>models:</c>.</summary>
    public const string Preamble = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
            - { id: ops, hash: {{OPS_HASH}}, role: operator }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
          up-b:
            kind: openai-compatible
            base_url: "{{FAKE1}}"
            api_key: ${UP_KEY}

        """;

    /// <summary>
    /// <c>chat</c>: dep-a, falling back to dep-b; <c>solo</c>: dep-a alone; <c>only-b</c>: dep-b alone;
    /// <c>embed</c>: an embeddings deployment on up-a. Retries are fast (1 ms base, 50 ms cap).
    /// </summary>
    public const string DefaultYaml = Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
          emb-a: { provider: up-a, model: text-embedding-3-small }
        models:
          chat:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          solo:
            deployments: [dep-a]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          only-b: dep-b
          embed: emb-a
        """;

    private readonly string _dataDir;
    private readonly string _closedBaseUrl;

    private GatewayHarness(string dataDir, IReadOnlyList<FakeOpenAIUpstream> fakes, string closedBaseUrl, Dictionary<string, string> env)
    {
        _dataDir = dataDir;
        Fakes = fakes;
        _closedBaseUrl = closedBaseUrl;
        Env = env;
        Http = new HttpClient { Timeout = Bound };
    }

    public GatewayApp Gateway { get; private set; } = null!;

    /// <summary>The gateway's clock.</summary>
    public TimeProvider Time { get; private set; } = TimeProvider.System;

    public IReadOnlyList<FakeOpenAIUpstream> Fakes { get; }

    /// <summary>The first fake (provider <c>up-a</c> in <see cref="Preamble"/>).</summary>
    public FakeOpenAIUpstream A => Fakes[0];

    /// <summary>The second fake (provider <c>up-b</c>).</summary>
    public FakeOpenAIUpstream B => Fakes[1];

    /// <summary>The environment the gateway reads (<c>UP_KEY</c> and whatever the test added).</summary>
    public Dictionary<string, string> Env { get; }

    /// <summary>The provider kinds the gateway is started with (<see cref="Options"/>).</summary>
    public ProviderCatalog Providers { get; set; } = ProviderCatalog.Default;

    /// <summary>The config file, when started with one.</summary>
    public string? ConfigPath { get; private set; }

    /// <summary>A plain client (no default headers); use <see cref="Url"/> for addresses.</summary>
    public HttpClient Http { get; }

    /// <summary>The OpenAI API root of the gateway, <c>http://127.0.0.1:PORT/v1</c>.</summary>
    public Uri ApiBase => new(Gateway.BaseAddress, "v1");

    /// <summary>Starts <paramref name="fakes"/> fake upstreams and a gateway on the rendered <paramref name="yaml"/>.</summary>
    /// <param name="yaml">The config template; null starts the gateway without any configuration (embedded defaults).</param>
    /// <param name="fakes">How many fake upstreams to start (<c>{{FAKE0}}</c>, <c>{{FAKE1}}</c>, ...).</param>
    /// <param name="env">Extra environment variables for the gateway (besides <c>UP_KEY</c>).</param>
    /// <param name="configFile">Write the config to a file and start from it (hot reload enabled) instead of inline YAML.</param>
    /// <param name="providers">The provider kinds the gateway serves; the built-in ones when null.</param>
    /// <param name="time">The gateway's clock (a fake one for tests of timeouts); the system clock when null.</param>
    public static async Task<GatewayHarness> StartAsync(
        string? yaml = DefaultYaml,
        int fakes = 2,
        IReadOnlyDictionary<string, string>? env = null,
        bool configFile = false,
        ProviderCatalog? providers = null,
        TimeProvider? time = null)
    {
        var harness = await StartFakesOnlyAsync(fakes);
        harness.Providers = providers ?? ProviderCatalog.Default;
        harness.Time = time ?? TimeProvider.System;
        try
        {
            foreach (var (name, value) in env ?? new Dictionary<string, string>())
            {
                harness.Env[name] = value;
            }

            harness.Gateway = await GatewayApp.StartAsync(harness.Options(yaml, configFile));
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts only the fakes (and a temp directory), e.g. for tests of a gateway that must refuse to start.</summary>
    public static async Task<GatewayHarness> StartFakesOnlyAsync(int fakes = 2)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "switchyard-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var started = new List<FakeOpenAIUpstream>();
        try
        {
            for (var i = 0; i < fakes; i++)
            {
                started.Add(await FakeOpenAIUpstream.StartAsync());
            }
        }
        catch
        {
            foreach (var fake in started)
            {
                await fake.DisposeAsync();
            }

            TryDelete(dataDir);
            throw;
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["UP_KEY"] = ProviderKey };
        return new GatewayHarness(dataDir, started, ClosedBaseUrl(), env);
    }

    /// <summary>Start options for <paramref name="yaml"/>; null means no configuration at all (the embedded defaults).</summary>
    public GatewayStartOptions Options(string? yaml, bool configFile)
    {
        var rendered = yaml is null ? null : Render(yaml);
        if (configFile)
        {
            ConfigPath = Path.Combine(_dataDir, "switchyard.yaml");
            File.WriteAllText(ConfigPath, rendered);
        }

        return new GatewayStartOptions
        {
            ConfigYaml = configFile ? null : rendered,
            ConfigPath = configFile ? ConfigPath : null,
            Urls = "http://127.0.0.1:0",
            DataDirectory = DataDirectory,
            Environment = name => Env.GetValueOrDefault(name),
            ConsoleLogging = false,
            TimeProvider = Time,
            Random = new Random(1),
            Providers = Providers,
        };
    }

    /// <summary>Replaces the template tokens.</summary>
    public string Render(string yaml)
    {
        var text = yaml
            .Replace("{{APP_HASH}}", KeyAuthenticator.FormatHash(ClientKey), StringComparison.Ordinal)
            .Replace("{{OPS_HASH}}", KeyAuthenticator.FormatHash(OperatorKey), StringComparison.Ordinal)
            .Replace("{{CLOSED}}", _closedBaseUrl, StringComparison.Ordinal);
        for (var i = 0; i < Fakes.Count; i++)
        {
            text = text.Replace("{{FAKE" + i + "}}", Fakes[i].BaseUrl.AbsoluteUri, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("{{", text);
        return text;
    }

    /// <summary>Rewrites the config file the way an editor does (write a temporary file, rename it over the original).</summary>
    public void RewriteConfig(string yaml)
    {
        Assert.NotNull(ConfigPath);
        var temp = ConfigPath + ".tmp";
        File.WriteAllText(temp, Render(yaml));
        File.Move(temp, ConfigPath, overwrite: true);
    }

    /// <summary>An absolute gateway URL, e.g. <c>Url("/v1/models")</c>.</summary>
    public Uri Url(string path) => new(Gateway.BaseAddress, path);

    /// <summary>OpenAI SDK options pointing at the gateway, without SDK retries (they would hide what the gateway answered).</summary>
    public OpenAIClientOptions SdkOptions() => new()
    {
        Endpoint = ApiBase,
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = Bound,
    };

    /// <summary>An OpenAI SDK chat client for <paramref name="model"/> authenticated with <paramref name="key"/>.</summary>
    public ChatClient Chat(string model = "chat", string key = ClientKey) => new(model, new ApiKeyCredential(key), SdkOptions());

    /// <summary>A JSON POST to <paramref name="path"/> with the client key as bearer (none when <paramref name="key"/> is null).</summary>
    public HttpRequestMessage Post(string path, string json, string? key = ClientKey, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url(path))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    /// <summary>Sends a chat completion request and returns once the headers are in (read the body yourself).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct = default) =>
        Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>POSTs <paramref name="json"/> to <c>/v1/chat/completions</c>.</summary>
    public Task<HttpResponseMessage> PostChatAsync(string json, string? key = ClientKey) =>
        SendAsync(Post("/v1/chat/completions", json, key));

    /// <summary>
    /// The usage record of <paramref name="requestId"/>, the gateway's id: the response's <c>x-request-id</c> when the
    /// client sent none (else <c>x-switchyard-request-id</c>: see <see cref="RecordId"/>). Records are enqueued when
    /// the handler finishes, which can be a moment after the client has its response, so this flushes and re-reads
    /// until the record is there (bounded).
    /// </summary>
    public Task<UsageRecord> UsageAsync(string requestId) => UsageWhereAsync(r => r.RequestId == requestId, $"request id {requestId}");

    /// <summary>The gateway's id of a response's record: <c>x-switchyard-request-id</c> if the client sent its own <c>x-request-id</c>, else <c>x-request-id</c>.</summary>
    public static string RecordId(HttpResponseMessage response) =>
        Wire.Header(response, "x-switchyard-request-id") ?? Wire.Header(response, "x-request-id")
        ?? throw new InvalidOperationException("the response has no request id");

    /// <summary>The only usage record, once exactly one exists (bounded wait).</summary>
    public async Task<UsageRecord> SingleUsageAsync()
    {
        var records = await UsageRecordsAsync(1);
        return Assert.Single(records);
    }

    /// <summary>Waits until at least <paramref name="count"/> records exist and returns them all, newest first.</summary>
    public Task<IReadOnlyList<UsageRecord>> UsageRecordsAsync(int count) =>
        PollUsageAsync(records => records.Count >= count ? records : null, $"{count} usage record(s)");

    /// <summary>The first usage record matching <paramref name="match"/> (bounded wait).</summary>
    public async Task<UsageRecord> UsageWhereAsync(Func<UsageRecord, bool> match, string what)
    {
        var records = await PollUsageAsync(records => records.Any(match) ? records : null, "a usage record for " + what);
        return records.First(match);
    }

    /// <summary>Flushes and reads the store until <paramref name="accept"/> returns non-null; bounded by <see cref="Bound"/>.</summary>
    private async Task<IReadOnlyList<UsageRecord>> PollUsageAsync(
        Func<IReadOnlyList<UsageRecord>, IReadOnlyList<UsageRecord>?> accept, string what)
    {
        using var deadline = new CancellationTokenSource(Bound);
        try
        {
            while (true)
            {
                await Gateway.FlushUsageAsync(deadline.Token);
                if (accept(Gateway.Usage.Store.ReadRecent(1000)) is { } records)
                {
                    return records;
                }

                await Task.Delay(10, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Expected {what} within {Bound}; store has {Gateway.Usage.Store.ReadRecent(1000).Count}.");
        }
    }

    /// <summary>Every byte of the gateway's data directory (database, WAL, journal), for "never stored" checks.</summary>
    public async Task<byte[]> DataDirectoryBytesAsync()
    {
        await Gateway.FlushUsageAsync();
        using var all = new MemoryStream();
        foreach (var file in Directory.EnumerateFiles(DataDirectory, "*", SearchOption.AllDirectories))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            await stream.CopyToAsync(all);
        }

        return all.ToArray();
    }

    /// <summary>The gateway's data directory (SQLite database and the usage journal).</summary>
    public string DataDirectory => Path.Combine(_dataDir, "data");

    /// <summary>Stops the gateway (graceful: in-flight requests finish, usage drains) but keeps fakes and data.</summary>
    public async Task StopGatewayAsync()
    {
        if (Gateway is { } gateway)
        {
            Gateway = null!;
            await gateway.DisposeAsync();
        }
    }

    /// <summary>Starts the gateway on options of the test's own (e.g. one of several replicas: see Fleet/TwoReplicas).</summary>
    public async Task StartGatewayAsync(GatewayStartOptions options) => Gateway = await GatewayApp.StartAsync(options);

    /// <summary>Stops the gateway and starts a new one on the same data directory, fakes and clock (state must survive).</summary>
    public async Task RestartGatewayAsync(string? yaml = DefaultYaml)
    {
        await StopGatewayAsync();
        Gateway = await GatewayApp.StartAsync(Options(yaml, configFile: false));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopGatewayAsync();

        foreach (var fake in Fakes)
        {
            await fake.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TryDelete(_dataDir);
    }

    /// <summary>A base URL on a loopback port that was free a moment ago and has nothing listening: connections are refused.</summary>
    private static string ClosedBaseUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/v1";
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchyard.Configuration;
using Switchyard.Conversations;
using Switchyard.Dispatch;
using Switchyard.Auth;
using Switchyard.Endpoints;
using Switchyard.Providers.Anthropic;
using Switchyard.Pipeline;
using Switchyard.Providers;
using Switchyard.Routing;
using Switchyard.Health;
using Switchyard.Observability;
using Switchyard.Storage;
using Switchyard.Upstream;
using Switchyard.Usage;
using Switchyard.WebConsole;

namespace Switchyard.Hosting;

/// <summary>
/// A running gateway: the composition root. Builds the services for the request path from a validated
/// configuration, starts Kestrel, and (with a config file) hot-reloads it.
/// </summary>
public sealed partial class GatewayApp : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConfigWatcher? watcher;

    private GatewayApp(WebApplication app, ConfigWatcher? watcher, Uri baseAddress)
    {
        this.app = app;
        this.watcher = watcher;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the gateway listens (the first address).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The live routing state (tests inspect reloads through it).</summary>
    public RouterState Router => app.Services.GetRequiredService<RouterState>();

    /// <summary>The composition root's services (benchmarks drive the pipeline in-process through them).</summary>
    internal IServiceProvider Services => app.Services;

    /// <summary>The usage writer.</summary>
    public UsageWriter Usage => app.Services.GetRequiredService<UsageWriter>();

    /// <summary>The exact cache (docs/adr/0015-cache.md).</summary>
    public IResponseCache ResponseCache => app.Services.GetRequiredService<IResponseCache>();

    /// <summary>Where the separate metrics listener (<c>telemetry.metrics_listener</c>) listens; null without one.</summary>
    public Uri? MetricsAddress => app.Services.GetRequiredService<GatewayTelemetry>().ListenerAddress;

    /// <summary>The config watcher, when started from a file.</summary>
    public ConfigWatcher? Watcher => watcher;

    /// <summary>Loads the configuration named by <paramref name="options"/>; throws when it is invalid.</summary>
    public static GatewayConfig LoadConfig(GatewayStartOptions options)
    {
        if (options.ConfigYaml is { } yaml)
        {
            return Accept(ConfigLoader.LoadYaml(yaml, "inline", options.Environment, options.Providers), "inline");
        }

        if (options.ConfigPath is { } path)
        {
            return Accept(ConfigLoader.LoadFile(path, options.Environment, options.Providers), path);
        }

        return EnvironmentDefaults.Build(options.Environment, options.Providers);
    }

    private static GatewayConfig Accept(ConfigLoadResult result, string source) =>
        result.Config ?? throw new ConfigurationRejectedException(source, result.Errors);

    /// <summary>Starts a gateway and returns once it accepts connections.</summary>
    public static async Task<GatewayApp> StartAsync(GatewayStartOptions options, CancellationToken ct = default)
    {
        var config = LoadConfig(options);
        if (config.Auth.IsOpen && !IsLoopbackOnly(options.Urls))
        {
            throw new InvalidOperationException(
                $"Refusing to listen on '{options.Urls}' without any key: set SWITCHYARD_MASTER_KEY or auth.keys, or listen on 127.0.0.1.");
        }

        var dataDir = Path.GetFullPath(options.DataDirectory ?? config.Server.DataDirectory);
        Directory.CreateDirectory(dataDir);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // enforced per request from the live config (ReadRequestStage)

            // A body must keep coming at 1 KiB/s after a 5 s grace (Kestrel's default, 240 B/s, let a client
            // hold a request open at 300 B/s); server.body_read_timeout caps the whole read besides.
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
        });
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        var services = builder.Services;
        services.AddSingleton(options.TimeProvider);
        AddDrain(services, config.Server, options.TimeProvider);
        var keyPools = new KeyPoolRegistry(options.TimeProvider); // key cooldowns survive reloads, on the gateway's clock
        services.AddSingleton(new RouterState(RouteTable.Build(config, keyPools)));
        var healthRegistry = new HealthRegistry(options.TimeProvider);
        healthRegistry.Configure(config);
        services.AddSingleton(healthRegistry);
        services.AddSingleton(sp => new Planner(options.Random, sp.GetRequiredService<HealthRegistry>(), Routing.Strategies.StrategyCatalog.BuiltIn));
        var providerServices = new ProviderServices(options.TimeProvider, options.Environment);
        services.AddSingleton(new UpstreamHttp(options.Providers.CreateInProcessHandlers(providerServices))); // the echo model: never on the network
        services.AddSingleton(options.Providers.CreateRegistry(providerServices));
        services.AddSingleton<PassthroughAttempts>();
        services.AddSingleton<TranslatedAttempts>();
        services.AddSingleton<EmbeddingsAttempts>();
        services.AddSingleton<MediaAttempts>();
        services.AddSingleton<PolledAttempts>();
        AddVideoJobs(services); // docs/adr/0017-beyond-chat.md, "Video jobs"
        services.AddSingleton(new FaultInjector(options.TimeProvider));
        var keyStore = new KeyStore(config.Auth, options.TimeProvider); // expiry on the gateway's clock
        services.AddSingleton<IKeyStore>(keyStore);
        services.AddSingleton(new Authorizer(keyStore));
        AddDatabase(services, config.Storage, options.TimeProvider);
        AddGovernance(services, config, keyStore, options.GovernanceDatabase ?? Path.Combine(dataDir, "switchyard.db"), options.TimeProvider);
        services.AddSingleton<AnthropicCountTokens>();
        services.AddSingleton(sp => new Dispatcher(sp.GetRequiredService<DrainSignal>(),
            sp.GetRequiredService<ProviderRegistry>(), sp.GetRequiredService<PassthroughAttempts>(), sp.GetRequiredService<TranslatedAttempts>(),
            sp.GetRequiredService<EmbeddingsAttempts>(), sp.GetRequiredService<MediaAttempts>(), sp.GetRequiredService<HealthRegistry>(), sp.GetRequiredService<FaultInjector>(), options.TimeProvider, options.Random, sp.GetRequiredService<ILogger<Dispatcher>>()));
        services.AddSingleton(sp => OpenUsageStore(sp, config, dataDir, Path.Combine(dataDir, "usage-journal")));
        services.AddSingleton(sp => new UsageWriter(
            sp.GetRequiredService<IUsageStore>(),
            new UsageJournal(Path.Combine(dataDir, "usage-journal"), config.Usage.JournalMaxBytes, sp.GetRequiredService<ILogger<UsageJournal>>()),
            config.Usage, options.TimeProvider, sp.GetRequiredService<ILogger<UsageWriter>>()));
        services.AddSingleton<IUsageRecordingGate>(sp => sp.GetRequiredService<UsageWriter>()); // Admission's 503 while no store takes records
        services.AddSingleton(sp => OpenResponseStore(sp, config.Storage, Path.Combine(dataDir, "switchyard.db")));
        services.AddSingleton(sp => OpenUpstreamObjectStore(sp, config.Storage, Path.Combine(dataDir, "switchyard.db")));
        services.AddSingleton<JobSettlement>(); // predictions settled once, by webhook or by the poller (docs/adr/0017)
        services.AddSingleton<PredictionPoller>();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => sp.GetRequiredService<PredictionPoller>());
        Batches.BatchServices.Add(services); // /v1/files and /v1/batches, and the poller that settles batches (docs/adr/0017)
        services.AddSingleton(sp => new ResponseState(
            sp.GetRequiredService<IResponseStore>(), sp.GetRequiredService<RouterState>(), options.TimeProvider, sp.GetRequiredService<ILogger<ResponseState>>()));
        services.AddSingleton(options.Random);
        services.AddSingleton<TokenCounter>();
        services.AddSingleton<UsageEstimator>();
        services.AddSingleton<IPromptTokens>(sp => sp.GetRequiredService<UsageEstimator>()); // Guardrails' max_tokens (docs/adr/0016)
        services.AddSingleton<Guardrails.Moderation>();
        services.AddSingleton(new Governance.LimitBook(options.TimeProvider)); // per-node limit state (docs/adr/0011)
        AddBudgets(services, config, Path.Combine(dataDir, "switchyard.db"), options.TimeProvider);
        FleetServices.Add(services, config, options.TimeProvider); // shared limits on Redis, or the LimitBook alone (docs/adr/0013)
        services.AddSingleton<CostMeter>();
        FleetServices.AddResponseCache(services, config, options.TimeProvider); // the exact cache, in memory or Redis (docs/adr/0015)
        services.AddSingleton(new Cache.SemanticIndex(options.TimeProvider)); // the semantic cache's vectors (docs/adr/0015)
        services.AddSingleton<ICacheEmbedder>(sp => new GatewayEmbedder(new PlanStage(sp.GetRequiredService<Planner>()), ActivatorUtilities.CreateInstance<Governance.BudgetStage>(sp),
            sp.GetRequiredService<Dispatcher>(), sp.GetRequiredService<Settle>(), options.TimeProvider));
        services.AddSingleton<Cache.SemanticCache>();
        AddTelemetry(services, config.Telemetry, options.TimeProvider);
        services.AddSingleton(sp => new Settle(sp.GetRequiredService<UsageWriter>(), options.TimeProvider, sp.GetRequiredService<UsageEstimator>(),
            sp.GetRequiredService<CostMeter>(), [.. sp.GetRequiredService<GatewayTelemetry>().Observers]));
        services.AddSingleton<PendingRecords>();
        services.AddSingleton(sp => new GatewayPipeline(sp));
        services.AddConsole(Path.Combine(dataDir, "switchyard.db"), config.Storage.Kind != StorageKind.Postgres, options.Environment, options.Providers,
            options.ConfigPath is not null && options.ConfigYaml is null, options.TimeProvider); // the web console (docs/adr/0014-console.md)

        var app = builder.Build();
        app.Use((http, next) =>
        {
            RequestIds.Assign(http);
            return next(http);
        });
        app.MapGateway();
        app.MapConsole();
        var configLoads = app.Services.GetRequiredService<ConfigLoads>();
        configLoads.Loaded(config);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchyard");
        var usageWriter = app.Services.GetRequiredService<UsageWriter>(); // open the store and the journal before the first request
        _ = app.Services.GetRequiredService<ResponseState>(); // and the response store (a newer schema stops the start here)
        var governance = app.Services.GetRequiredService<GovernanceDirectory>(); // and the admin API's keys, before the first request
        _ = app.Services.GetRequiredService<Governance.BudgetAlerts>(); // listening before the first alert
        await CatchUpUsageAsync(usageWriter, logger).ConfigureAwait(false); // budgets read spend from the records: replay the journal first
        FleetServices.Start(app.Services); // and Redis, with the broadcast of admin changes

        ConfigWatcher? watcher = null;
        if (options.ConfigPath is { } path && options.ConfigYaml is null)
        {
            var router = app.Services.GetRequiredService<RouterState>();
            watcher = new ConfigWatcher(path, options.Environment, next =>
            {
                router.Swap(RouteTable.Build(next, keyPools));
                governance.Configure(next); // the file's keys and teams; the admin API's stay
                configLoads.Loaded(next);
                healthRegistry.Configure(next);
                usageWriter.SetPolicy(next.Usage.OnStoreFailure);
                LogReloaded(logger, next.Source, next.Models.Count);
            }, app.Services.GetRequiredService<ILogger<ConfigWatcher>>(), options.TimeProvider, options.Providers);
        }

        _ = WarmTokenizerAsync(app.Services.GetRequiredService<TokenCounter>(), logger); // ~0.7 s, off the request path
        var drain = app.Services.GetRequiredService<DrainSignal>();
        app.Lifetime.ApplicationStopping.Register(() => drain.Begin(config.Server.ShutdownTimeout));
        await app.StartAsync(ct).ConfigureAwait(false);
        await app.Services.GetRequiredService<GatewayTelemetry>().StartListenerAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        LogStarted(logger, address, config.Source, Ours(config.Providers, BuiltInEcho.Provider), Ours(config.Models, BuiltInEcho.Alias), dataDir);
        LogFirstSteps(logger, ModelList(config), FirstRequest(address, config));
        if (config.Auth.IsOpen)
        {
            LogOpenAuth(logger);
        }

        return new GatewayApp(app, watcher, new Uri(address));
    }

    /// <summary>
    /// Graceful shutdown: the drain signal the relays link into their reads, and the host's own shutdown timeout set
    /// <see cref="DrainGrace"/> beyond <c>server.shutdown_timeout</c>, so the gateway ends its streams with an error
    /// event (and records them) before ASP.NET Core would reset their connections.
    /// </summary>
    private static void AddDrain(IServiceCollection services, ServerSettings server, TimeProvider time)
    {
        services.AddSingleton(new DrainSignal(time));
        services.Configure<HostOptions>(o => o.ShutdownTimeout = server.ShutdownTimeout + DrainGrace);
    }

    /// <summary>
    /// Virtual keys, teams and customers (docs/adr/0007-keys-and-teams.md): the store (same database file, own
    /// connection and tables), the directory that merges it with the config file and feeds the key index, and the
    /// admin operations over it.
    /// </summary>
    private static void AddGovernance(IServiceCollection services, GatewayConfig config, KeyStore keyStore, string database, TimeProvider time)
    {
        services.AddSingleton(sp => OpenGovernanceStore(sp, config.Storage, database));
        services.AddSingleton(sp => new GovernanceDirectory(config, sp.GetRequiredService<IGovernanceStore>(), keyStore, sp.GetRequiredService<ILogger<GovernanceDirectory>>()));
        services.AddSingleton<IGovernanceDirectory>(sp => sp.GetRequiredService<GovernanceDirectory>());
        services.AddSingleton(sp => new KeyAdmin(sp.GetRequiredService<GovernanceDirectory>(), time, sp.GetRequiredService<ILogger<KeyAdmin>>()));
        services.AddSingleton(sp => new TeamAdmin(sp.GetRequiredService<GovernanceDirectory>(), sp.GetRequiredService<ILogger<TeamAdmin>>()));
    }

    /// <summary>
    /// Budgets (docs/adr/0011-limits-and-budgets.md): the ledger, fed the recorded spend from the usage database (its own
    /// connection, opened after the usage store created the table), the delivered-token count for stream hard stops,
    /// and the alerts.
    /// </summary>
    private static void AddBudgets(IServiceCollection services, GatewayConfig config, string database, TimeProvider time)
    {
        services.AddSingleton<ISpendSource>(sp =>
        {
            _ = sp.GetRequiredService<IUsageStore>(); // its tables first
            return config.Storage.Kind == StorageKind.Postgres
                ? new PostgresSpendSource(sp.GetRequiredService<Storage.Postgres.PostgresDatabase>())
                : new SqliteSpendSource(database);
        });
        services.AddSingleton(sp => new Governance.BudgetLedger(time, sp.GetRequiredService<ISpendSource>()));
        services.AddSingleton<IDeliveredTokens>(sp => sp.GetRequiredService<UsageEstimator>());
        services.AddSingleton(sp => new Governance.BudgetAlerts(sp.GetRequiredService<Governance.IBudgetCounters>(), config.Budgets, time,
            sp.GetRequiredService<ILogger<Governance.BudgetAlerts>>()));
    }

    /// <summary>
    /// Waits (at most 10 s) for the usage journal left by the last run to reach the database, so the first budget read
    /// counts it; a database too slow for that is logged, and the gateway starts anyway (the journal still lands later).
    /// </summary>
    private static async Task CatchUpUsageAsync(UsageWriter writer, ILogger logger)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await writer.FlushAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            LogUsageBehind(logger);
        }
    }

    /// <summary>
    /// Metrics and traces (docs/adr/0009-observability.md): built before the first request (the tracer must listen
    /// when ASP.NET Core starts the request's span); the usage writer's state is read at each collection.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, TelemetrySettings settings, TimeProvider time) =>
        services.AddSingleton(sp =>
        {
            var usage = new Lazy<UsageWriter>(sp.GetRequiredService<UsageWriter>);
            return new GatewayTelemetry(settings, sp.GetRequiredService<RouterState>(), sp.GetRequiredService<HealthRegistry>(), () =>
            {
                var status = usage.Value.Status;
                return new UsageBacklog(status.Buffered, status.Dropped, status.JournalBacklogBytes, status.LastDurabilityLag);
            }, time, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<IResponseCache>());
        });

    /// <summary>Time after the drain for the last error events, records and the usage flush to go out.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

    private static async Task WarmTokenizerAsync(TokenCounter counter, ILogger logger)
    {
        try
        {
            await counter.Warm().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogTokenizerFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning,
        Message = "The tokenizer vocabularies did not load: usage the upstream never reports will be estimated at 4 characters per token")]
    private static partial void LogTokenizerFailed(ILogger logger, Exception ex);

    private static bool IsLoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(u =>
            Uri.TryCreate(u.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && (uri.IsLoopback || uri.Host == "localhost"));

    /// <summary>Blocks until the host is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    /// <summary>
    /// Waits until the record of every request that entered before this call is in the database: first for those
    /// requests to settle (a record is queued after the answer has gone out), then for the writer. Bound it with
    /// <paramref name="ct"/>: it waits while the database refuses.
    /// </summary>
    public async Task FlushUsageAsync(CancellationToken ct = default)
    {
        await app.Services.GetRequiredService<PendingRecords>().SettledAsync(ct).ConfigureAwait(false);
        await Usage.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stops listening, drains usage, releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        watcher?.Dispose();
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Switchyard listening on {Address} (config: {Source}; {Providers} providers and {Models} models configured; data: {DataDir})")]
    private static partial void LogStarted(ILogger logger, string address, string source, int providers, int models, string dataDir);

    /// <summary>How many entries the configuration itself brought (the built-in echo pieces are not counted).</summary>
    private static int Ours<T>(IReadOnlyDictionary<string, T> entries, T builtIn) where T : class =>
        entries.Values.Count(v => !ReferenceEquals(v, builtIn));

    /// <summary>The model names a client can send, the first twelve of them.</summary>
    private static string ModelList(GatewayConfig config)
    {
        var names = config.Models.Keys.Order(StringComparer.Ordinal).ToList();
        return names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(12)) + $" (+{names.Count - 12} more: GET /v1/models)";
    }

    /// <summary>A request that works right now, to copy into a shell.</summary>
    private static string FirstRequest(string address, GatewayConfig config)
    {
        var model = config.Models.ContainsKey(BuiltInEcho.AliasName) ? BuiltInEcho.AliasName : config.Models.Keys.Order(StringComparer.Ordinal).FirstOrDefault() ?? "MODEL";
        var auth = config.Auth.IsOpen ? "" : " -H \"authorization: Bearer $SWITCHYARD_KEY\"";
        return $"curl -s {address}/v1/chat/completions -H 'content-type: application/json'{auth} "
            + $"-d '{{\"model\":\"{model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hello\"}}]}}'";
    }

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning,
        Message = "The usage journal did not reach the database within 10 s of the start: budgets may not count the last run's newest records until it does")]
    private static partial void LogUsageBehind(ILogger logger);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Models: {Models}. Try: {Request}")]
    private static partial void LogFirstSteps(ILogger logger, string models, string request);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Configuration reloaded from {Source}: {Models} models")]
    private static partial void LogReloaded(ILogger logger, string source, int models);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "No client keys and no SWITCHYARD_MASTER_KEY: every caller is accepted. Set a key before exposing this gateway beyond localhost.")]
    private static partial void LogOpenAuth(ILogger logger);
}

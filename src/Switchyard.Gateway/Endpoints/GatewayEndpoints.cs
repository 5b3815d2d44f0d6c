using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Auth;
using Switchyard.Observability;
using Switchyard.Pipeline;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Providers.OpenAI.Responses;
using Switchyard.Storage;
using Switchyard.Usage;

namespace Switchyard.Endpoints;

/// <summary>
/// The public surface, in one place: every URL the gateway answers, the format it speaks and the role it
/// needs. Model traffic runs the pipeline (<see cref="GatewayPipeline"/>); the rest are small endpoints that
/// share its authorizer.
/// </summary>
public static class GatewayEndpoints
{
    /// <summary>The endpoints beyond chat, each an operation through the same pipeline (OpenAI's shapes; Cohere/Jina's for rerank).</summary>
    private static readonly (string Path, Operation Operation)[] MediaPaths =
    [
        ("/v1/moderations", Operation.Moderations),
        ("/v1/rerank", Operation.Rerank),
        ("/v1/images/generations", Operation.ImageGenerations),
        ("/v1/images/edits", Operation.ImageEdits),
        ("/v1/audio/speech", Operation.Speech),
        ("/v1/audio/transcriptions", Operation.Transcriptions),
        ("/v1/audio/translations", Operation.Translations),
        ("/v1/videos", Operation.Videos),
    ];

    /// <summary>Maps the public API, the operator endpoints and the health probes.</summary>
    public static void MapGateway(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var pipeline = services.GetRequiredService<GatewayPipeline>();
        var router = services.GetRequiredService<RouterState>();
        var authorizer = services.GetRequiredService<Authorizer>();

        // Model traffic (client role): one pipeline, one format per dialect.
        var chat = OpenAIChatFormat.Instance;
        var responses = new OpenAIResponsesFormat(); // unbound: explain (a dry run) never binds a conversation
        var anthropic = new AnthropicMessagesFormat();
        var gemini = new GeminiFormat();
        app.MapPost("/v1/chat/completions", http => pipeline.HandleAsync(http, chat, Operation.ChatCompletions));
        app.MapPost("/v1/embeddings", http => pipeline.HandleAsync(http, chat, Operation.Embeddings));
        // A Responses request gets its own format instance: the Conversations stage binds the request's turn to it.
        app.MapPost("/v1/responses", http => pipeline.HandleAsync(http, new OpenAIResponsesFormat(), Operation.Responses));
        var stored = ActivatorUtilities.CreateInstance<ResponsesEndpoints>(services);
        app.MapGet("/v1/responses/{id}", stored.GetAsync);
        app.MapDelete("/v1/responses/{id}", stored.DeleteAsync);
        app.MapGet("/v1/responses/{id}/input_items", stored.InputItemsAsync);
        app.MapPost("/v1/messages", http => pipeline.HandleAsync(http, anthropic, Operation.Messages));
        var countTokens = ActivatorUtilities.CreateInstance<CountTokensEndpoint>(services);
        app.MapPost("/v1/messages/count_tokens", countTokens.HandleAsync);

        // Gemini: the model and method share one path segment ("{model}:generateContent"), which a route
        // template cannot split on the colon, so a catch-all takes it and GeminiRoute parses it.
        app.MapPost("/v1beta/models/{**rest}", http => pipeline.HandleAsync(http, gemini, GeminiRoute.OperationOf(http.Request)));

        var models = new ModelsEndpoint(router, authorizer);
        app.MapGet("/v1/models", models.ListAsync);
        app.MapGet("/v1/models/{**id}", models.GetAsync);

        // Operator role: the gateway's inside. Explain takes every inbound format: by path, or by ?format=.
        var explain = ActivatorUtilities.CreateInstance<ExplainEndpoint>(services);
        app.MapPost("/v1/route/explain", http => ExplainByParameterAsync(http, explain, chat, responses, anthropic));
        app.MapPost("/v1/route/explain/v1/chat/completions", http => explain.ExplainAsync(http, chat, Operation.ChatCompletions));
        app.MapPost("/v1/route/explain/v1/embeddings", http => explain.ExplainAsync(http, chat, Operation.Embeddings));
        MapMedia(app, pipeline, explain, chat);
        MapVideos(app, pipeline, chat);
        Batches.BatchServices.Map(app, (http, operation) => pipeline.HandleObjectAsync(http, chat, operation)); // /v1/files and /v1/batches: objects owned per key, limited and recorded (docs/adr/0017)
        app.MapPost("/v1/route/explain/v1/responses", http => explain.ExplainAsync(http, responses, Operation.Responses));
        app.MapPost("/v1/route/explain/v1/messages", http => explain.ExplainAsync(http, anthropic, Operation.Messages));
        app.MapPost("/v1/route/explain/v1beta/models/{**rest}", http => explain.ExplainAsync(http, gemini, GeminiRoute.OperationOf(http.Request)));
        app.MapGet("/v1/deployments", ActivatorUtilities.CreateInstance<DeploymentsEndpoint>(services).ListAsync);
        var drill = ActivatorUtilities.CreateInstance<DrillEndpoints>(services);
        app.MapPost("/v1/drill", drill.StartAsync);
        app.MapGet("/v1/drill", drill.StatusAsync);
        app.MapDelete("/v1/drill", drill.StopAsync);
        app.MapPost(JobWebhookEndpoint.Path, ActivatorUtilities.CreateInstance<JobWebhookEndpoint>(services).HandleAsync); // signed by the provider, no key
        app.MapAdmin(); // admin role: /v1/admin/keys, /v1/admin/teams, /v1/admin/customers
        MapMetrics(app, services.GetRequiredService<GatewayTelemetry>(), authorizer);

        MapHealth(app, services);

        MapTheRest(app, pipeline, chat, anthropic, gemini);
    }

    /// <summary>The endpoints beyond chat (docs/adr/0017-beyond-chat.md) and their explain twins: each an operation of the same pipeline.</summary>
    private static void MapMedia(IEndpointRouteBuilder app, GatewayPipeline pipeline, ExplainEndpoint explain, IInboundFormat chat)
    {
        foreach (var (path, operation) in MediaPaths)
        {
            app.MapPost(path, http => pipeline.HandleAsync(http, chat, operation));
            app.MapPost("/v1/route/explain" + path, http => explain.ExplainAsync(http, chat, operation));
        }
    }

    /// <summary>
    /// A video job's calls after its create (docs/adr/0017-beyond-chat.md, "Video jobs"): to the deployment that owns it,
    /// through the pipeline's job stages (authenticated, limited, recorded; never routed). The create is a media path.
    /// </summary>
    private static void MapVideos(IEndpointRouteBuilder app, GatewayPipeline pipeline, IInboundFormat chat)
    {
        app.MapGet("/v1/videos", http => pipeline.HandleJobAsync(http, chat, Operation.VideoList));
        app.MapGet("/v1/videos/{id}", http => pipeline.HandleJobAsync(http, chat, Operation.VideoRetrieve));
        app.MapDelete("/v1/videos/{id}", http => pipeline.HandleJobAsync(http, chat, Operation.VideoDelete));
        app.MapGet("/v1/videos/{id}/content", http => pipeline.HandleJobAsync(http, chat, Operation.VideoContent));
        app.MapPost("/v1/videos/{id}/remix", http => pipeline.HandleJobAsync(http, chat, Operation.VideoRemix));
    }

    /// <summary>
    /// <c>/health/live</c>, and <c>/health/ready</c>: ready = a validated config is serving and its usage can be
    /// recorded: 503 while no store (neither the database nor the journal) takes records and
    /// usage.on_store_failure is refuse (Admission refuses model traffic then). With accept_unrecorded it stays 200
    /// and the body counts what was dropped. The database itself is reported beside it (kind, and whether a
    /// PostgreSQL server answers): unreachable, it leaves the replica ready as long as the journal keeps the
    /// records (docs/adr/0012-postgres-storage.md). Redis unreachable: 503 under on_unreachable: fail_closed
    /// (limited requests are refused), else 200 "degraded" (limits are counted per replica).
    /// </summary>
    private static void MapHealth(IEndpointRouteBuilder app, IServiceProvider services)
    {
        var usage = services.GetRequiredService<UsageWriter>();
        var database = services.GetRequiredService<DatabaseHealth>();
        var redis = services.GetService<Fleet.RedisLink>(); // null: no redis: section, this replica counts alone
        app.MapGet("/health/live", http => WriteJsonAsync(http, 200, """{"status":"ok"}"""u8.ToArray()));
        app.MapGet("/health/ready", async http =>
        {
            var status = usage.Status;
            var db = await database.CheckAsync().ConfigureAwait(false);
            var ready = status.RefusalReason is null && redis?.RefusesWhileDown is not true;
            await WriteJsonAsync(http, ready ? 200 : 503, ReadyBody(status, db, redis)).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// <c>GET /metrics</c> (operator role): Prometheus text. Off with <c>telemetry.metrics: false</c>; open without a key
    /// only on the separate <c>telemetry.metrics_listener</c>.
    /// </summary>
    private static void MapMetrics(IEndpointRouteBuilder app, GatewayTelemetry telemetry, Authorizer authorizer) =>
        telemetry.MapMetrics(app, async (http, next) =>
        {
            if (await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Operator).ConfigureAwait(false) is not null)
            {
                await next().ConfigureAwait(false);
            }
        });

    /// <summary>
    /// What no endpoint takes: a known path with the wrong method is a 405 (with <c>Allow</c>), an unknown path a
    /// 404, each in the format the path names (Anthropic under /v1/messages, Google under /v1beta, OpenAI
    /// elsewhere) and each recorded like any request. These endpoints take any method at a lower priority
    /// (order 1), so the real ones always win.
    /// </summary>
    private static void MapTheRest(IEndpointRouteBuilder app, GatewayPipeline pipeline, IInboundFormat chat, IInboundFormat anthropic, IInboundFormat gemini)
    {
        (string Path, string Allow, IInboundFormat Format)[] known =
        [
            ("/v1/chat/completions", "POST", chat), ("/v1/embeddings", "POST", chat), ("/v1/responses", "POST", chat),
            ("/v1/responses/{id}", "GET, DELETE", chat), ("/v1/responses/{id}/input_items", "GET", chat),
            ("/v1/messages", "POST", anthropic), ("/v1/messages/count_tokens", "POST", anthropic),
            ("/v1/models", "GET", chat), ("/v1/models/{**id}", "GET", chat), ("/v1/deployments", "GET", chat),
            ("/v1/drill", "GET, POST, DELETE", chat), ("/v1/route/explain", "POST", chat),
            ("/health/live", "GET", chat), ("/health/ready", "GET", chat),
            .. AdminEndpoints.Paths.Select(p => (p.Path, p.Allow, chat)),
            .. MediaPaths.Where(p => p.Operation != Operation.Videos).Select(p => (p.Path, "POST", chat)),
            ("/v1/videos", "GET, POST", chat), ("/v1/videos/{id}", "GET, DELETE", chat), ("/v1/videos/{id}/content", "GET", chat), ("/v1/videos/{id}/remix", "POST", chat),
            .. Batches.BatchServices.Paths.Select(p => (p.Path, p.Allow, chat)),
        ];
        foreach (var (path, allow, format) in known)
        {
            app.Map(path, http =>
            {
                http.Response.Headers.Allow = allow;
                return pipeline.RefuseAsync(http, format, Operation.Other, new ClientError(405, ErrorCategory.InvalidRequest,
                    $"Method {http.Request.Method} is not allowed on {http.Request.Path}; use {allow}.", null, "method_not_allowed"));
            }).WithOrder(1);
        }

        app.Map("/v1beta/{**rest}", http => NotFound(http, pipeline, gemini)).WithOrder(1);
        app.MapFallback(http => NotFound(http, pipeline, chat));
    }

    private static Task NotFound(HttpContext http, GatewayPipeline pipeline, IInboundFormat format) =>
        pipeline.RefuseAsync(http, format, Operation.Other, new ClientError(404, ErrorCategory.NotFound,
            $"Unknown request URL: {http.Request.Method} {Bounded(http.Request.Path.Value)}.", null, "unknown_url"));

    /// <summary>A path echoed in an error is cut at 256 characters (it is also stored nowhere).</summary>
    private static string Bounded(string? path) => path is { Length: > 256 } ? path[..256] + "…" : path ?? "";

    /// <summary><c>POST /v1/route/explain?format=chat|responses|messages|embeddings</c> (default chat).</summary>
    private static Task ExplainByParameterAsync(HttpContext http, ExplainEndpoint explain, IInboundFormat chat, IInboundFormat responses, IInboundFormat anthropic)
    {
        var name = http.Request.Query["format"] is { Count: 1 } f ? f[0] : null;
        return name switch
        {
            null or "chat" or "openai.chat" => explain.ExplainAsync(http, chat, Operation.ChatCompletions),
            "embeddings" or "openai.embeddings" => explain.ExplainAsync(http, chat, Operation.Embeddings),
            "responses" or "openai.responses" => explain.ExplainAsync(http, responses, Operation.Responses),
            "messages" or "anthropic" or "anthropic.messages" => explain.ExplainAsync(http, anthropic, Operation.Messages),
            _ => ClientErrors.WriteAsync(http, chat, new ClientError(400, ErrorCategory.InvalidRequest,
                $"Unknown format '{name}': use chat, responses, messages or embeddings, or explain a Gemini call at "
                + "/v1/route/explain/v1beta/models/{model}:generateContent.", "format", "invalid_value")),
        };
    }

    /// <summary>The readiness body: the verdict, and the usage writer's state (no file paths: the probe needs no key).</summary>
    private static byte[] ReadyBody(UsageWriterStatus status, DatabaseStatus database, Fleet.RedisLink? redis)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", status.RefusalReason is not null || redis?.RefusesWhileDown is true ? "not_ready" : redis is { IsShared: false } ? "degraded" : "ready");
            if ((status.RefusalReason ?? redis?.DownReason) is { } reason)
            {
                w.WriteString("reason", reason);
            }

            redis?.WriteReadiness(w);

            w.WriteString("usage_store", (status.JournalFailure, status.DatabaseFailure) switch
            {
                (null, null) => "ok",
                (not null, not null) => "unavailable",
                _ => "degraded",
            });
            w.WriteStartObject("usage");
            w.WriteString("on_store_failure", status.Policy == UsageStoreFailurePolicy.Refuse ? "refuse" : "accept_unrecorded");
            w.WriteString("journal", status.JournalFailure ?? "ok");
            w.WriteString("database", status.DatabaseFailure ?? "ok");
            w.WriteNumber("buffered_records", status.Buffered);
            w.WriteNumber("dropped_records", status.Dropped);
            w.WriteNumber("journal_backlog_bytes", status.JournalBacklogBytes);
            w.WriteNumber("corrupt_journal_lines", status.CorruptJournalLines);
            w.WriteNumber("conflicts", status.Conflicts);
            w.WriteNumber("durability_lag_ms", Math.Round(status.LastDurabilityLag.TotalMilliseconds, 1));
            w.WriteNumber("max_durability_lag_ms", Math.Round(status.MaxDurabilityLag.TotalMilliseconds, 1));
            w.WriteEndObject();
            WriteDatabase(w, database);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>"database": {"kind": "postgres", "status": "ok"}</c>, or <c>"unreachable"</c> with the error.</summary>
    private static void WriteDatabase(Utf8JsonWriter w, DatabaseStatus database)
    {
        w.WriteStartObject("database");
        w.WriteString("kind", database.Kind);
        w.WriteString("status", database.Error is null ? "ok" : "unreachable");
        if (database.Error is { } error)
        {
            w.WriteString("error", error);
        }

        w.WriteEndObject();
    }

    internal static Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        return http.Response.Body.WriteAsync(body).AsTask();
    }
}

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> (client role): the public aliases with their capabilities.</summary>
public sealed class ModelsEndpoint(RouterState router, Authorizer authorizer)
{
    /// <summary>The list, rendered once per configuration.</summary>
    public async Task ListAsync(HttpContext http)
    {
        if (await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Client).ConfigureAwait(false) is not null)
        {
            await GatewayEndpoints.WriteJsonAsync(http, 200, router.Current.ModelsListJson).ConfigureAwait(false);
        }
    }

    /// <summary>One alias.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Client).ConfigureAwait(false) is null)
        {
            return;
        }

        var id = Uri.UnescapeDataString((string)http.Request.RouteValues["id"]!);
        if (!router.Current.Aliases.TryGetValue(id, out var route))
        {
            await OpenAIErrors.WriteAsync(http, StatusCodes.Status404NotFound,
                $"The model '{id}' does not exist on this gateway.", "invalid_request_error", "model", "model_not_found").ConfigureAwait(false);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            RouteTable.WriteModel(w, route.Alias);
        }

        await GatewayEndpoints.WriteJsonAsync(http, 200, buffer.WrittenSpan.ToArray()).ConfigureAwait(false);
    }
}

using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Auth;
using Switchyard.Pipeline;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;
using Switchyard.Usage;

namespace Switchyard.Ingress;

/// <summary>The public surface, in one place: every route the gateway answers.</summary>
public static class GatewayEndpoints
{
    /// <summary>Maps the OpenAI-compatible API and the health probes.</summary>
    public static void MapGateway(this IEndpointRouteBuilder app)
    {
        var pipeline = app.ServiceProvider.GetRequiredService<GatewayPipeline>();
        var router = app.ServiceProvider.GetRequiredService<RouterState>();
        var usage = app.ServiceProvider.GetRequiredService<UsageWriter>();

        var openai = new OpenAIChatFormat();
        var responses = new Switchyard.Providers.OpenAI.Responses.OpenAIResponsesFormat();
        app.MapPost("/v1/chat/completions", http => pipeline.HandleAsync(http, openai, OpenAIOperation.ChatCompletions));
        app.MapPost("/v1/embeddings", http => pipeline.HandleAsync(http, openai, OpenAIOperation.Embeddings));
        app.MapPost("/v1/responses", http => pipeline.HandleAsync(http, responses, OpenAIOperation.Responses));
        var anthropic = new AnthropicMessagesFormat();
        app.MapPost("/v1/messages", http => pipeline.HandleAsync(http, anthropic, OpenAIOperation.Messages));
        var countTokens = new AnthropicCountTokens(router, app.ServiceProvider.GetRequiredService<Upstream.UpstreamHttp>());
        app.MapPost("/v1/messages/count_tokens", http => countTokens.HandleAsync(http));
        app.MapGet("/v1/models", http => ListModelsAsync(http, router.Current));
        app.MapGet("/v1/models/{**id}", http => GetModelAsync(http, router.Current, Uri.UnescapeDataString((string)http.Request.RouteValues["id"]!)));

        var routing = new RoutingEndpoints(router, app.ServiceProvider.GetRequiredService<Planner>(),
            app.ServiceProvider.GetRequiredService<Routing.Health.HealthRegistry>());
        app.MapPost("/v1/route/explain", routing.ExplainAsync);
        app.MapGet("/v1/deployments", routing.ListAsync);
        var drill = new Drill.DrillEndpoints(router, app.ServiceProvider.GetRequiredService<Planner>(),
            app.ServiceProvider.GetRequiredService<Drill.FaultInjector>());
        app.MapPost("/v1/drill", drill.StartAsync);
        app.MapGet("/v1/drill", drill.StatusAsync);
        app.MapDelete("/v1/drill", drill.StopAsync);

        // Gemini: the model and method share one path segment ("{model}:generateContent"), which a route
        // template cannot split on the colon, so a catch-all takes it and GeminiRoute parses it.
        var gemini = new GeminiFormat();
        app.MapPost("/v1beta/models/{**rest}", http => pipeline.HandleAsync(http, gemini, OpenAIOperation.Messages));
        app.Map("/v1beta/{**rest}", http => GeminiErrors.UnknownUrlAsync(http));

        app.MapGet("/health/live", http => WriteJsonAsync(http, 200, """{"status":"ok"}"""u8.ToArray()));
        app.MapGet("/health/ready", http =>
        {
            // Ready = a validated config is serving. A failing usage store does not make us unready:
            // records spool to disk and are replayed, so traffic can continue; the body reports it.
            var body = usage.StoreHealthy
                ? """{"status":"ready","usage_store":"ok"}"""u8.ToArray()
                : """{"status":"ready","usage_store":"degraded: spooling to disk"}"""u8.ToArray();
            return WriteJsonAsync(http, 200, body);
        });

        // Anything else under /v1 gets OpenAI's shape rather than an empty 404.
        app.Map("/v1/{**rest}", http => OpenAIErrors.WriteAsync(http, StatusCodes.Status404NotFound,
            $"Unknown request URL: {http.Request.Method} {http.Request.Path}.", "invalid_request_error", null, "unknown_url"));
    }

    private static Task ListModelsAsync(HttpContext http, RouteTable table) =>
        Authorized(http, table) is { } refusal ? refusal : WriteJsonAsync(http, 200, table.ModelsListJson);

    private static Task GetModelAsync(HttpContext http, RouteTable table, string id)
    {
        if (Authorized(http, table) is { } refusal)
        {
            return refusal;
        }

        if (!table.Aliases.TryGetValue(id, out var route))
        {
            return OpenAIErrors.WriteAsync(http, StatusCodes.Status404NotFound,
                $"The model '{id}' does not exist on this gateway.", "invalid_request_error", "model", "model_not_found");
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            RouteTable.WriteModel(w, route.Alias);
        }

        return WriteJsonAsync(http, 200, buffer.WrittenSpan.ToArray());
    }

    private static Task? Authorized(HttpContext http, RouteTable table) =>
        table.Authenticator.Authenticate(http.Request, out _) switch
        {
            AuthOutcome.Accepted => null,
            AuthOutcome.Missing => OpenAIErrors.WriteAsync(http, StatusCodes.Status401Unauthorized,
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", "invalid_request_error", null, "missing_api_key"),
            _ => OpenAIErrors.WriteAsync(http, StatusCodes.Status401Unauthorized,
                "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key"),
        };

    private static Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        return http.Response.Body.WriteAsync(body).AsTask();
    }
}

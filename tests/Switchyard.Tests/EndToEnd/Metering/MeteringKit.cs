using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;
using Switchyard.Admission;
using Switchyard.Auth;
using Switchyard.Dispatch;
using Switchyard.Hosting;
using Switchyard.Ingress;
using Switchyard.Routing;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>
/// Helpers of the metering tests: the same tokenizers the gateway counts with (loaded here independently of its
/// model mapping), Anthropic-format requests and stream text, and <see cref="ProbeAsync"/>, which shows the whole
/// usage record of one request (the SQLite store of this branch does not keep <c>usage_source</c> nor the hedge
/// loser's columns yet).
/// </summary>
internal static class MeteringKit
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>Tokens of <paramref name="text"/> in o200k_base (GPT-4o family models).</summary>
    public static int O200kTokens(string text) => O200k.Value.CountTokens(text);

    /// <summary>Tokens of <paramref name="text"/> in cl100k_base (older OpenAI models, and the approximation for any other model).</summary>
    public static int Cl100kTokens(string text) => Cl100k.Value.CountTokens(text);

    /// <summary>An Anthropic Messages body.</summary>
    public static string MessagesJson(string model, bool stream, string content = "Say hello") => new JsonObject
    {
        ["model"] = model,
        ["max_tokens"] = 256,
        ["stream"] = stream,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
    }.ToJsonString();

    /// <summary>A POST to <c>/v1/messages</c> with the harness's client key, as the Anthropic SDK sends it.</summary>
    public static HttpRequestMessage PostMessages(GatewayHarness h, string json)
    {
        var request = h.Post("/v1/messages", json, key: null);
        request.Headers.Add("x-api-key", GatewayHarness.ClientKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    /// <summary>The text of an Anthropic stream's <c>text_delta</c> events.</summary>
    public static string AnthropicText(IEnumerable<SseEvent> events)
    {
        var text = new StringBuilder();
        foreach (var ev in events.Where(e => e.Event == "content_block_delta"))
        {
            if (Wire.StringOf(ev.Json?["delta"]?["text"]) is { } piece)
            {
                text.Append(piece);
            }
        }

        return text.ToString();
    }

    /// <summary>Every event of a stream, read to its proper end (a reset connection throws instead).</summary>
    public static async Task<IReadOnlyList<SseEvent>> ReadAllAsync(HttpResponseMessage response)
    {
        using var timeout = new CancellationTokenSource(GatewayHarness.Bound);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await SseReader.ReadAllAsync(stream, timeout.Token);
    }

    /// <summary>
    /// Runs one request through the gateway's own stages in-process (the client side is a <see cref="DefaultHttpContext"/>;
    /// the upstreams are the real fakes, over HTTP), then meters it exactly as Settle does and returns the context, the
    /// record Settle would write, and the response body. The stage list mirrors <c>GatewayPipeline</c>'s (Shadow aside).
    /// </summary>
    public static async Task<(GatewayContext Ctx, UsageRecord Record, string Body)> ProbeAsync(GatewayApp gateway, IInboundFormat format,
        Operation operation, string path, string json)
    {
        var services = gateway.Services;
        var http = new DefaultHttpContext { RequestServices = services };
        var bytes = Encoding.UTF8.GetBytes(json);
        http.Request.Method = "POST";
        http.Request.Path = path;
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = bytes.Length;
        http.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey).ToString();
        http.Request.Headers["anthropic-version"] = "2023-06-01";
        http.Request.Body = new MemoryStream(bytes, writable: false);
        var response = new MemoryStream();
        http.Response.Body = response;
        RequestIds.Assign(http);
        var time = services.GetRequiredService<TimeProvider>();
        var ctx = new GatewayContext(http, format, operation, services.GetRequiredService<RouterState>().Current, RequestIds.Of(http),
            time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds());
        IStage[] stages =
        [
            ActivatorUtilities.CreateInstance<AuthenticateStage>(services), ActivatorUtilities.CreateInstance<ReadRequestStage>(services),
            ActivatorUtilities.CreateInstance<AdmissionStage>(services), ActivatorUtilities.CreateInstance<SelectRouteStage>(services),
            ActivatorUtilities.CreateInstance<PlanStage>(services), ActivatorUtilities.CreateInstance<DispatchStage>(services),
        ];
        foreach (var stage in stages)
        {
            if (!await stage.RunAsync(ctx))
            {
                break;
            }
        }

        services.GetRequiredService<UsageEstimator>().Complete(ctx);
        var record = Settle.ToRecord(ctx, time, services.GetRequiredService<CostMeter>().Cost(ctx));
        ctx.Body?.Dispose();
        ctx.Delivered?.Dispose();
        ctx.HedgeLoser?.Dispose();
        return (ctx, record, Encoding.UTF8.GetString(response.ToArray()));
    }
}

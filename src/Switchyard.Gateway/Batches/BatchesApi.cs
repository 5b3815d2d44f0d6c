using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Batches;

/// <summary>
/// <c>/v1/batches</c> in OpenAI's shape (client role; docs/adr/0017-beyond-chat.md, "Files and batches"): create (on the
/// deployment that holds the input file, refused while one of the key's budgets is exhausted), retrieve (asked of the
/// provider; a final status settles the usage), list (the key's batches from the store, newest first) and cancel. Only
/// the key that created a batch reaches it. Each call runs last in the pipeline's object stages (<see cref="ObjectCallStage"/>):
/// the caller is authenticated, admitted (its customer checked by KeyPolicy) and limited before, and Settle writes the
/// call's own record after, apart from the batch's settled one.
/// </summary>
public sealed class BatchesApi(IUpstreamObjectStore store, BatchTracker tracker, BatchBudgets budgets, TimeProvider time)
{
    /// <summary>The fields of a create request (OpenAI's <c>CreateBatchRequest</c>); any other is refused by name.</summary>
    private static readonly HashSet<string> CreateFields = ["input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"];

    /// <summary><c>POST /v1/batches</c>.</summary>
    public async Task CreateAsync(GatewayContext ctx)
    {
        var (http, caller) = (ctx.Http, ctx.Caller!);
        var (request, invalid) = await ReadCreateAsync(http).ConfigureAwait(false);
        if (invalid is { } refused)
        {
            await ObjectHttp.RefuseAsync(http, refused).ConfigureAwait(false);
            return;
        }

        var fileId = ObjectJson.Str(request!, "input_file_id")!;
        if (store.Get(caller.KeyId, fileId) is not { Kind: FilesApi.Kind } file)
        {
            await ObjectHttp.NotFoundAsync(http, "File", fileId, "input_file_id").ConfigureAwait(false);
            return;
        }

        ctx.Request.Model = file.Route;
        if (!ctx.Table.Deployments.TryGetValue(file.Deployment, out var deployment))
        {
            await OpenAIErrors.WriteAsync(http, 503, $"File '{fileId}' is held by deployment '{file.Deployment}', which the current configuration no longer has.",
                "server_error", "input_file_id", "deployment_gone").ConfigureAwait(false);
            return;
        }

        if (await budgets.ExhaustedAsync(caller).ConfigureAwait(false) is { } refusedCreate)
        {
            await ObjectHttp.RefuseAsync(http, refusedCreate).ConfigureAwait(false);
            return;
        }

        await SendCreateAsync(ctx, request!, file, deployment).ConfigureAwait(false);
    }

    /// <summary>
    /// The create, sent. The batch bills the customer KeyPolicy found for the call (the key's own, else
    /// <c>x-switchyard-customer</c>), kept in its stored detail for the record written when it ends.
    /// </summary>
    private async Task SendCreateAsync(GatewayContext ctx, JsonObject request, UpstreamObject file, DeploymentTarget deployment)
    {
        var (http, caller, customer) = (ctx.Http, ctx.Caller!, ctx.CustomerId);
        request["input_file_id"] = file.UpstreamId;
        using var content = new ByteArrayContent(ObjectJson.Bytes(request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await SendOrFailAsync(ctx, deployment, HttpMethod.Post, "", content).ConfigureAwait(false);
        if (response is null)
        {
            return;
        }

        if (await ReadObjectAsync(http, response, deployment) is not { } upstream)
        {
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = ObjectJson.NewId("batch_");
        var draft = new UpstreamObject(id, BatchTracker.Kind, caller.KeyId, file.Route, deployment.Name, ObjectJson.Str(upstream, "id")!,
            ObjectJson.Str(upstream, "status") ?? "validating", now, now, null);
        var client = tracker.ToClient(upstream, draft, file.Id);
        store.Add(draft with { Detail = ObjectJson.Detail(client, caller.Policy.TeamId, customer) });
        await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.Bytes(client)).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/batches/{id}</c>: asked of the provider, stored; a final status settles the usage here if no one has.</summary>
    public async Task GetAsync(GatewayContext ctx)
    {
        if (await FindAsync(ctx) is not { } found)
        {
            return;
        }

        var http = ctx.Http;
        var (batch, deployment) = found;
        ObjectCallStage.Attempt(ctx, deployment);
        try
        {
            var (view, failure) = await tracker.RefreshAsync(batch, deployment, http.RequestAborted).ConfigureAwait(false);
            using (failure)
            {
                await (view is not null ? ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.Bytes(view.Client))
                    : ObjectHttp.RelayErrorAsync(http, failure!, deployment.Name)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException or OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, ex.Message).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /v1/batches/{id}/cancel</c>.</summary>
    public async Task CancelAsync(GatewayContext ctx)
    {
        if (await FindAsync(ctx) is not { } found)
        {
            return;
        }

        var http = ctx.Http;
        var (batch, deployment) = found;
        using var response = await SendOrFailAsync(ctx, deployment, HttpMethod.Post, "/" + Uri.EscapeDataString(batch.UpstreamId) + "/cancel", null).ConfigureAwait(false);
        if (response is not null && await ReadObjectAsync(http, response, deployment) is { } upstream)
        {
            var view = await tracker.ApplyAsync(batch, deployment, upstream, http.RequestAborted).ConfigureAwait(false);
            await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.Bytes(view.Client)).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /v1/batches</c>: the key's batches as last seen, newest first (<c>after</c>, <c>limit</c> 1-100, default 20).</summary>
    public async Task ListAsync(GatewayContext ctx)
    {
        var http = ctx.Http;
        if (ObjectHttp.Page(http.Request.Query, 100, 20, out var limit, out var after) is { } invalid)
        {
            await ObjectHttp.RefuseAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var page = store.List(ctx.KeyId!, BatchTracker.Kind, after, limit);
        await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.List([.. page.Items.Select(ObjectJson.ClientObject)], page.HasMore)).ConfigureAwait(false);
    }

    /// <summary>The create request, checked: its fields, the three required ones, their values.</summary>
    private static async Task<(JsonObject? Request, ClientError? Error)> ReadCreateAsync(HttpContext http)
    {
        JsonObject? request;
        try
        {
            var body = await ReadBodyAsync(http.Request, 64 * 1024, http.RequestAborted).ConfigureAwait(false);
            request = body is null ? null : JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return (null, Invalid("The body must be a JSON object of at most 64 KiB.", null));
        }

        return (request, CreateError(request));
    }

    private static ClientError? CreateError(JsonObject request)
    {
        foreach (var (name, _) in request)
        {
            if (!CreateFields.Contains(name))
            {
                return Invalid($"Unrecognized request argument supplied: {(name.Length > 64 ? name[..64] : name)}", name);
            }
        }

        if (ObjectJson.Str(request, "input_file_id") is not { Length: > 0 })
        {
            return Invalid("Missing required parameter: 'input_file_id'.", "input_file_id");
        }

        if (ObjectJson.Str(request, "endpoint") is not { } endpoint || !BatchInput.Urls.Contains(endpoint))
        {
            return Invalid($"Invalid 'endpoint': expected one of {string.Join(", ", BatchInput.Urls)}.", "endpoint");
        }

        return ObjectJson.Str(request, "completion_window") == "24h" ? null
            : Invalid("Invalid 'completion_window': the only supported value is '24h'.", "completion_window");
    }

    private static ClientError Invalid(string message, string? param) => new(400, ErrorCategory.InvalidRequest, message, param, "invalid_request_error");

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken ct)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (copy.Length + n > max)
            {
                return null;
            }

            copy.Write(buffer, 0, n);
        }

        return copy.ToArray();
    }

    /// <summary>The caller's batch named in the route and its deployment (its alias recorded as the call's); null with the 404/503 written.</summary>
    private async Task<(UpstreamObject Batch, DeploymentTarget Deployment)?> FindAsync(GatewayContext ctx)
    {
        var http = ctx.Http;
        var id = (string)http.Request.RouteValues["id"]!;
        if (store.Get(ctx.KeyId!, id) is not { Kind: BatchTracker.Kind } batch)
        {
            await ObjectHttp.NotFoundAsync(http, "Batch", id, "batch_id").ConfigureAwait(false);
            return null;
        }

        ctx.Request.Model = batch.Route;
        if (!ctx.Table.Deployments.TryGetValue(batch.Deployment, out var deployment))
        {
            await OpenAIErrors.WriteAsync(http, 503, $"Batch '{id}' runs at deployment '{batch.Deployment}', which the current configuration no longer has.",
                "server_error", null, "deployment_gone").ConfigureAwait(false);
            return null;
        }

        return (batch, deployment);
    }

    /// <summary>Sends (the call's one attempt, recorded at <paramref name="deployment"/>); on a network failure writes the 502 and returns null.</summary>
    private async Task<HttpResponseMessage?> SendOrFailAsync(GatewayContext ctx, DeploymentTarget deployment, HttpMethod method, string suffix, HttpContent? content)
    {
        var http = ctx.Http;
        ObjectCallStage.Attempt(ctx, deployment);
        try
        {
            return await tracker.Objects.SendAsync(deployment, Operation.Batches, method, suffix, null, content, false, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, ex.Message).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A 2xx batch object, or null with the provider's error relayed (or a 502 for an unreadable answer).</summary>
    private static async Task<JsonObject?> ReadObjectAsync(HttpContext http, HttpResponseMessage response, DeploymentTarget deployment)
    {
        if (!response.IsSuccessStatusCode)
        {
            await ObjectHttp.RelayErrorAsync(http, response, deployment.Name).ConfigureAwait(false);
            return null;
        }

        try
        {
            var obj = ObjectJson.Parse(await ObjectHttp.ReadAsync(response, http.RequestAborted).ConfigureAwait(false) ?? throw new JsonException("oversized answer"));
            return ObjectJson.Str(obj, "id") is not null ? obj : throw new JsonException("a batch object without an id");
        }
        catch (JsonException ex)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, "an unreadable batch object: " + ex.Message).ConfigureAwait(false);
            return null;
        }
    }
}

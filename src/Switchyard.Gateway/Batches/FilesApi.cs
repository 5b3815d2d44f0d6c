using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchyard.Ingress;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Batches;

/// <summary>
/// <c>/v1/files</c> in OpenAI's shape (client role; docs/adr/0017-beyond-chat.md, "Files and batches"): upload
/// (multipart <c>file</c> and <c>purpose</c>, spooled as it arrives and bounded by <c>server.max_file_size</c>), list
/// (newest first; <c>purpose</c>, <c>after</c>, <c>limit</c>), retrieve, delete and content (relayed as it arrives). Each
/// file lives at one deployment's provider; the id the client sees is the gateway's, mapped through
/// <see cref="IUpstreamObjectStore"/> to that deployment and the provider's id, and only the key that uploaded it
/// reaches it (another key gets the 404 an unknown id gets). Each call runs last in the pipeline's object stages
/// (<see cref="ObjectCallStage"/>), so the caller is already authenticated, admitted and limited, and the call's record
/// is written by Settle: the deployment it reached and the alias it belongs to are set on the context for it.
/// </summary>
public sealed class FilesApi(IUpstreamObjectStore store, ProviderObjects objects, IGovernanceDirectory directory, TimeProvider time)
{
    /// <summary>The store's kind for files.</summary>
    public const string Kind = "file";

    /// <summary><c>POST /v1/files</c>.</summary>
    public async Task UploadAsync(GatewayContext ctx)
    {
        var http = ctx.Http;
        var table = ctx.Table;
        var (form, error) = await UploadReader.ReadAsync(http.Request, table.Config.Server.MaxFileBytes, http.RequestAborted).ConfigureAwait(false);
        if (error is { } refused)
        {
            if (refused.Status == 413)
            {
                http.Response.Headers.Connection = "close"; // the rest of the upload is not read
            }

            await ObjectHttp.RefuseAsync(http, refused).ConfigureAwait(false);
            return;
        }

        using (form!)
        {
            await UploadFormAsync(ctx, form!).ConfigureAwait(false);
        }
    }

    private async Task UploadFormAsync(GatewayContext ctx, UploadedForm form)
    {
        var (http, caller, table) = (ctx.Http, ctx.Caller!, ctx.Table);
        var purpose = form.Field("purpose");
        var file = form.Files.FirstOrDefault(f => f.Name == "file");
        if (purpose is null || file is null)
        {
            await ObjectHttp.InvalidAsync(http, $"Missing required parameter: '{(purpose is null ? "purpose" : "file")}'.",
                purpose is null ? "purpose" : "file", "missing_required_parameter").ConfigureAwait(false);
            return;
        }

        var target = purpose == "batch"
            ? await UploadTarget.ForBatchAsync(file, model => BatchTargets.Choose(table, model, caller, directory, objects), http.RequestAborted).ConfigureAwait(false)
            : UploadTarget.ForHeader(http.Request.Headers[BatchTargets.ModelHeader], model => BatchTargets.Choose(table, model, caller, directory, objects));
        using (target)
        {
            if (target.Error is { } refused)
            {
                await ObjectHttp.RefuseAsync(http, refused).ConfigureAwait(false);
                return;
            }

            ctx.Request.Model = target.Alias ?? "";
            await SendAsync(ctx, form, target).ConfigureAwait(false);
        }
    }

    /// <summary>The upload again, to the chosen deployment: the text fields, then the file (rewritten for a batch) as a stream.</summary>
    private async Task SendAsync(GatewayContext ctx, UploadedForm form, UploadTarget target)
    {
        var deployment = target.Deployment!;
        var owner = ctx.KeyId!;
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in form.Fields)
        {
            var text = new StringContent(value);
            text.Headers.ContentType = null; // a plain form field, as OpenAI's SDKs send them
            content.Add(text, name);
        }

        var file = form.Files.First(f => f.Name == "file");
        var part = new StreamContent(target.Open(file), 64 * 1024);
        part.Headers.ContentLength = target.Length(file);
        part.Headers.ContentType = file.ContentType is { } type && MediaTypeHeaderValue.TryParse(type, out var parsed) ? parsed : new MediaTypeHeaderValue("application/octet-stream");
        content.Add(part, "file", file.FileName);

        await ExchangeAsync(ctx, deployment, HttpMethod.Post, "", content, unbounded: true, (obj, upstreamId) =>
        {
            var id = ObjectJson.NewId("file-");
            obj["id"] = id;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            store.Add(new UpstreamObject(id, Kind, owner, target.Alias ?? "", deployment.Name, upstreamId,
                ObjectJson.Str(obj, "status") ?? "uploaded", now, now, ObjectJson.Detail(obj)));
            return obj;
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/files</c>: the key's files from the store, newest first; <c>purpose</c> filters.</summary>
    public async Task ListAsync(GatewayContext ctx)
    {
        var http = ctx.Http;
        if (ObjectHttp.Page(http.Request.Query, 10_000, 10_000, out var limit, out var after) is { } invalid)
        {
            await ObjectHttp.RefuseAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var purpose = http.Request.Query["purpose"] is { Count: > 0 } p ? p[0] : null;
        var (items, more) = Filtered(ctx.KeyId!, purpose, after, limit);
        await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.List(items, more)).ConfigureAwait(false);
    }

    /// <summary>A page of the key's files of <paramref name="purpose"/> (any when null), read page by page from the store.</summary>
    private (List<JsonObject> Items, bool HasMore) Filtered(string owner, string? purpose, string? after, int limit)
    {
        var items = new List<JsonObject>();
        var cursor = after;
        while (true)
        {
            var page = store.List(owner, Kind, cursor, limit);
            for (var i = 0; i < page.Items.Count; i++)
            {
                var obj = ObjectJson.ClientObject(page.Items[i]);
                if (purpose is null || ObjectJson.Str(obj, "purpose") == purpose)
                {
                    items.Add(obj);
                    if (items.Count == limit)
                    {
                        return (items, i < page.Items.Count - 1 || page.HasMore);
                    }
                }
            }

            if (!page.HasMore || page.Items.Count == 0)
            {
                return (items, false);
            }

            cursor = page.Items[^1].Id;
        }
    }

    /// <summary><c>GET /v1/files/{id}</c>: asked of the provider (its status changes), stored, answered with the gateway's id.</summary>
    public async Task GetAsync(GatewayContext ctx)
    {
        if (await FindAsync(ctx) is not { } found)
        {
            return;
        }

        var (item, deployment) = found;
        await ExchangeAsync(ctx, deployment, HttpMethod.Get, "/" + Uri.EscapeDataString(item.UpstreamId), null, unbounded: false, (obj, _) =>
        {
            obj["id"] = item.Id;
            store.Update(item.Id, ObjectJson.Str(obj, "status") ?? item.Status, ObjectJson.Detail(obj), time.GetUtcNow().ToUnixTimeMilliseconds());
            return obj;
        }).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /v1/files/{id}</c>: deleted at the provider (a provider's 404 counts: it is gone), then forgotten.</summary>
    public async Task DeleteAsync(GatewayContext ctx)
    {
        if (await FindAsync(ctx) is not { } found)
        {
            return;
        }

        var http = ctx.Http;
        var (item, deployment) = found;
        using var response = await SendOrFailAsync(ctx, deployment, HttpMethod.Delete, "/" + Uri.EscapeDataString(item.UpstreamId), null, false).ConfigureAwait(false);
        if (response is null)
        {
            return;
        }

        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            await ObjectHttp.RelayErrorAsync(http, response, deployment.Name).ConfigureAwait(false);
            return;
        }

        store.Delete(item.Owner, item.Id);
        await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.Bytes(new JsonObject { ["id"] = item.Id, ["object"] = "file", ["deleted"] = true })).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/files/{id}/content</c>: the provider's bytes relayed as they arrive (a batch input file as sent upstream).</summary>
    public async Task ContentAsync(GatewayContext ctx)
    {
        if (await FindAsync(ctx) is not { } found)
        {
            return;
        }

        var http = ctx.Http;
        var (item, deployment) = found;
        using var response = await SendOrFailAsync(ctx, deployment, HttpMethod.Get, "/" + Uri.EscapeDataString(item.UpstreamId) + "/content", null, true).ConfigureAwait(false);
        if (response is null)
        {
            return;
        }

        await (response.IsSuccessStatusCode ? ObjectHttp.RelayBodyAsync(http, response) : ObjectHttp.RelayErrorAsync(http, response, deployment.Name)).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller's file named in the route and the deployment that holds it (both recorded on the context: the file's
    /// alias and deployment are the call's); null with the 404/503 written.
    /// </summary>
    private async Task<(UpstreamObject Item, DeploymentTarget Deployment)?> FindAsync(GatewayContext ctx)
    {
        var http = ctx.Http;
        var id = (string)http.Request.RouteValues["id"]!;
        if (store.Get(ctx.KeyId!, id) is not { Kind: Kind } item)
        {
            await ObjectHttp.NotFoundAsync(http, "File", id, "file_id").ConfigureAwait(false);
            return null;
        }

        ctx.Request.Model = item.Route;
        if (!ctx.Table.Deployments.TryGetValue(item.Deployment, out var deployment))
        {
            await OpenAIErrors.WriteAsync(http, 503, $"File '{id}' is held by deployment '{item.Deployment}', which the current configuration no longer has.",
                "server_error", null, "deployment_gone").ConfigureAwait(false);
            return null;
        }

        return (item, deployment);
    }

    /// <summary>Sends (the call's one attempt, at <paramref name="deployment"/>, as its record says); on a network failure writes the 502 and returns null.</summary>
    private async Task<HttpResponseMessage?> SendOrFailAsync(GatewayContext ctx, DeploymentTarget deployment, HttpMethod method, string suffix,
        HttpContent? content, bool unbounded)
    {
        var http = ctx.Http;
        ObjectCallStage.Attempt(ctx, deployment);
        try
        {
            return await objects.SendAsync(deployment, Operation.Files, method, suffix, null, content, unbounded, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, ex.Message).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>One call whose 2xx answer is a file object: <paramref name="map"/> turns it into the client's (ids, store); errors are relayed.</summary>
    private async Task ExchangeAsync(GatewayContext ctx, DeploymentTarget deployment, HttpMethod method, string suffix, HttpContent? content, bool unbounded,
        Func<JsonObject, string, JsonObject> map)
    {
        var http = ctx.Http;
        using var response = await SendOrFailAsync(ctx, deployment, method, suffix, content, unbounded).ConfigureAwait(false);
        if (response is null)
        {
            return;
        }

        if (!response.IsSuccessStatusCode)
        {
            await ObjectHttp.RelayErrorAsync(http, response, deployment.Name).ConfigureAwait(false);
            return;
        }

        JsonObject obj;
        try
        {
            obj = ObjectJson.Parse(await ObjectHttp.ReadAsync(response, http.RequestAborted).ConfigureAwait(false) ?? throw new JsonException("oversized answer"));
        }
        catch (JsonException ex)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, "an unreadable file object: " + ex.Message).ConfigureAwait(false);
            return;
        }

        if (ObjectJson.Str(obj, "id") is not { } upstreamId)
        {
            await ObjectHttp.UpstreamFailedAsync(http, deployment.Name, "a file object without an id").ConfigureAwait(false);
            return;
        }

        await ObjectHttp.WriteJsonAsync(http, 200, ObjectJson.Bytes(map(obj, upstreamId))).ConfigureAwait(false);
    }
}

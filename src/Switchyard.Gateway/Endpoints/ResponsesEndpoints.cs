using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Conversations;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Endpoints;

/// <summary>
/// The stored side of the Responses API (client role), in OpenAI's shapes: <c>GET /v1/responses/{id}</c> (the
/// response object as the client received it), <c>GET /v1/responses/{id}/input_items</c> (a page of everything the
/// model was given: the conversation it continued, then its own input; <c>limit</c> 1-100, default 20;
/// <c>order</c> <c>desc</c> by default; <c>after</c>/<c>before</c> item ids) and <c>DELETE /v1/responses/{id}</c>.
/// A key sees only its own responses: another key's id is answered exactly as an unknown one (404).
/// </summary>
public sealed class ResponsesEndpoints(ResponseState state, Authorizer authorizer)
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>GET /v1/responses/{id}</c>.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await OwnerAsync(http).ConfigureAwait(false) is not { } owner)
        {
            return;
        }

        var id = Id(http);
        if (http.Request.Query["stream"] is { Count: > 0 } stream && stream[0] == "true")
        {
            await InvalidAsync(http, "Streaming a stored response is not supported: this gateway runs no background responses to resume.", "stream").ConfigureAwait(false);
            return;
        }

        var found = await state.ResponseAsync(owner, id).ConfigureAwait(false);
        await (found.Outcome == StateOutcome.Found
            ? GatewayEndpoints.WriteJsonAsync(http, 200, Encoding.UTF8.GetBytes(found.Value!))
            : NotFoundAsync(http, id, found.Outcome, found.Detail)).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/responses/{id}/input_items</c>.</summary>
    public async Task InputItemsAsync(HttpContext http)
    {
        if (await OwnerAsync(http).ConfigureAwait(false) is not { } owner)
        {
            return;
        }

        var id = Id(http);
        if (PageQuery(http.Request.Query, out var query) is { } invalid)
        {
            await InvalidAsync(http, invalid.Message, invalid.Param).ConfigureAwait(false);
            return;
        }

        var found = await state.InputItemsAsync(owner, id, query).ConfigureAwait(false);
        if (found.Outcome != StateOutcome.Found)
        {
            await NotFoundAsync(http, id, found.Outcome, found.Detail).ConfigureAwait(false);
        }
        else if (ReferenceEquals(found.Value, ItemPage.UnknownCursor))
        {
            var param = query.After is not null ? "after" : "before";
            await InvalidAsync(http, $"Invalid '{param}': '{query.After ?? query.Before}' is not an input item of response '{id}'.", param).ConfigureAwait(false);
        }
        else
        {
            await GatewayEndpoints.WriteJsonAsync(http, 200, ListJson(found.Value!)).ConfigureAwait(false);
        }
    }

    /// <summary><c>DELETE /v1/responses/{id}</c>: OpenAI's deletion object.</summary>
    public async Task DeleteAsync(HttpContext http)
    {
        if (await OwnerAsync(http).ConfigureAwait(false) is not { } owner)
        {
            return;
        }

        var id = Id(http);
        var found = await state.DeleteAsync(owner, id).ConfigureAwait(false);
        if (found.Outcome != StateOutcome.Found)
        {
            await NotFoundAsync(http, id, found.Outcome, found.Detail).ConfigureAwait(false);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "response");
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        }

        await GatewayEndpoints.WriteJsonAsync(http, 200, buffer.WrittenSpan.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The caller's key id (the owner of what it stores), or null with the 401/403 written.</summary>
    private async Task<string?> OwnerAsync(HttpContext http) =>
        (await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Client).ConfigureAwait(false))?.KeyId;

    private static string Id(HttpContext http) => (string)http.Request.RouteValues["id"]!; // one segment: routing has decoded it

    /// <summary>The page the query asks for; a refusal naming the parameter when a value is out of range.</summary>
    private static ClientError? PageQuery(IQueryCollection q, out ItemPageQuery query)
    {
        query = default;
        var limit = 20;
        if (q["limit"] is { Count: > 0 } l && (!int.TryParse(l[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, "Invalid 'limit': expected an integer between 1 and 100.", "limit");
        }

        var order = q["order"] is { Count: > 0 } o ? o[0] : "desc";
        if (order is not ("asc" or "desc"))
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid 'order': '{order}'. Expected 'asc' or 'desc'.", "order");
        }

        var after = q["after"] is { Count: > 0 } a && a[0] is { Length: > 0 } av ? av : null;
        var before = q["before"] is { Count: > 0 } b && b[0] is { Length: > 0 } bv ? bv : null;
        if (after is not null && before is not null)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, "Send 'after' or 'before', not both.", "before");
        }

        query = new ItemPageQuery(after, before, limit, order == "asc");
        return null;
    }

    private static byte[] ListJson(ItemPage page)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var item in page.Items)
            {
                w.WriteRawValue(item.Json);
            }

            w.WriteEndArray();
            w.WriteString("first_id", page.Items.Count > 0 ? page.Items[0].Id : null);
            w.WriteString("last_id", page.Items.Count > 0 ? page.Items[^1].Id : null);
            w.WriteBoolean("has_more", page.HasMore);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>404 in OpenAI's wording, the same for unknown, expired and another key's ids; 503 when the store failed.</summary>
    private static Task NotFoundAsync(HttpContext http, string id, StateOutcome outcome, string? detail) => outcome switch
    {
        StateOutcome.Unavailable => OpenAIErrors.WriteAsync(http, 503,
            $"The gateway's response store could not be read ({detail}). Retry later.", "server_error", null, "response_store_unavailable"),
        StateOutcome.NotKept => OpenAIErrors.WriteAsync(http, 404,
            $"Response with id '{id}' not found. It was answered but not kept: {detail}.", "invalid_request_error", null, null),
        _ => OpenAIErrors.WriteAsync(http, 404, $"Response with id '{id}' not found.", "invalid_request_error", null, null),
    };

    private static Task InvalidAsync(HttpContext http, string message, string? param) =>
        OpenAIErrors.WriteAsync(http, 400, message, "invalid_request_error", param, "invalid_value");
}

using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Auth;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Endpoints;

/// <summary>
/// What every admin endpoint shares: the admin role (the master key or an admin key; an operator or client
/// key gets 403), JSON bodies (1 MiB at most), OpenAI-shaped errors, list pages (<c>limit</c>, <c>after</c>) and
/// <c>Cache-Control: no-store</c> on every answer (some carry a secret).
/// </summary>
internal static class AdminHttp
{
    /// <summary>The largest body an admin call takes.</summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>The default and the largest page of a list.</summary>
    public const int DefaultLimit = 20, MaxLimit = 100;

    /// <summary>The caller when it has the admin role; else null, with the 401/403 written.</summary>
    public static async Task<Caller?> AuthorizeAsync(HttpContext http, Authorizer authorizer)
    {
        http.Response.Headers.CacheControl = "no-store";
        return await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Admin).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="error"/> in OpenAI's error shape.</summary>
    public static Task ErrorAsync(HttpContext http, in ClientError error) => ClientErrors.WriteAsync(http, OpenAIChatFormat.Instance, error);

    /// <summary>Writes a JSON answer.</summary>
    public static Task JsonAsync(HttpContext http, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, DeploymentsEndpoint.Options))
        {
            write(w);
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>Writes the value of <paramref name="result"/> with <paramref name="status"/>, or its error.</summary>
    public static Task ResultAsync<T>(HttpContext http, int status, AdminResult<T> result, Action<Utf8JsonWriter, T> write)
        where T : class =>
        result.Error is { } error ? ErrorAsync(http, error) : JsonAsync(http, status, w => write(w, result.Value!));

    /// <summary>The body as a JSON object (an empty body is <c>{}</c> when <paramref name="allowEmpty"/>), or the 400/413 to answer.</summary>
    public static async Task<(JsonDocument? Body, ClientError? Error)> ReadObjectAsync(HttpContext http, bool allowEmpty)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, new ClientError(413, ErrorCategory.RequestTooLarge, $"An admin request body may be at most {MaxBodyBytes} bytes.", null, "request_too_large"));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return (null, new ClientError(413, ErrorCategory.RequestTooLarge, $"An admin request body may be at most {MaxBodyBytes} bytes.", null, "request_too_large"));
            }
        }

        return Parse(buffer.Length == 0 && allowEmpty ? "{}"u8.ToArray() : buffer.ToArray());
    }

    private static (JsonDocument?, ClientError?) Parse(byte[] body)
    {
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return (doc, null);
            }

            doc.Dispose();
        }
        catch (JsonException)
        {
        }

        return (null, new ClientError(400, ErrorCategory.InvalidRequest, "The request body must be a JSON object.", null, "invalid_json"));
    }

    /// <summary>
    /// <c>?limit=</c> (1–100, default 20) and <c>?after=</c> (the last id of the previous page); the 400 when
    /// <c>limit</c> is not a number in range.
    /// </summary>
    public static ClientError? Page(HttpRequest request, out int limit, out string? after)
    {
        after = request.Query["after"] is { Count: 1 } a && a[0] is { Length: > 0 } cursor ? cursor : null;
        limit = DefaultLimit;
        if (request.Query["limit"] is { Count: > 0 } l && (!int.TryParse(l[0], out limit) || limit is < 1 or > MaxLimit))
        {
            return AdminErrors.Invalid("limit", $"must be an integer from 1 to {MaxLimit}");
        }

        return null;
    }

    /// <summary>A query parameter given once, or null.</summary>
    public static string? Query(HttpRequest request, string name) => request.Query[name] is { Count: 1 } v && v[0] is { Length: > 0 } s ? s : null;

    /// <summary>
    /// A list page, as OpenAI's lists: <c>{"object": "list", "data": [...], "first_id", "last_id", "has_more"}</c>.
    /// </summary>
    public static void List<T>(Utf8JsonWriter w, IReadOnlyList<T> page, bool hasMore, Func<T, string> cursor, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var item in page)
        {
            write(w, item);
        }

        w.WriteEndArray();
        w.WriteString("first_id", page.Count > 0 ? cursor(page[0]) : null);
        w.WriteString("last_id", page.Count > 0 ? cursor(page[^1]) : null);
        w.WriteBoolean("has_more", hasMore);
        w.WriteEndObject();
    }

    /// <summary>
    /// Path segment <paramref name="index"/> (0-based, after the leading '/') as the client sent it, percent-decoded
    /// once: a customer id may hold any character, '/' included (sent as %2F), which routing alone would not decode.
    /// </summary>
    public static string Segment(HttpContext http, int index)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var segments = (query >= 0 ? raw[..query] : raw).Split('/');
        return segments.Length > index + 1 ? Uri.UnescapeDataString(segments[index + 1]) : "";
    }
}

/// <summary>The admin API's routes (admin role), mapped by <see cref="GatewayEndpoints"/>.</summary>
public static class AdminEndpoints
{
    /// <summary>The paths and methods, for the 405 answers of <see cref="GatewayEndpoints"/>.</summary>
    internal static readonly (string Path, string Allow)[] Paths =
    [
        ("/v1/admin/keys", "GET, POST"), ("/v1/admin/keys/{id}", "GET, PATCH, DELETE"),
        ("/v1/admin/keys/{id}/rotate", "POST"), ("/v1/admin/keys/{id}/revoke", "POST"),
        ("/v1/admin/teams", "GET, POST"), ("/v1/admin/teams/{id}", "GET, PATCH, DELETE"),
        ("/v1/admin/customers", "GET, POST"), ("/v1/admin/customers/{id}", "GET, PATCH, DELETE"),
        ("/v1/admin/spend", "GET"), ("/v1/admin/requests", "GET"), ("/v1/admin/requests/{id}", "GET"), ("/v1/admin/stats", "GET"),
        ("/v1/admin/config", "GET"), ("/v1/admin/config/validate", "POST"),
    ];

    /// <summary>Maps <c>/v1/admin/keys</c>, <c>/v1/admin/teams</c>, <c>/v1/admin/customers</c> and <c>/v1/admin/budgets</c>.</summary>
    public static void MapAdmin(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var keys = ActivatorUtilities.CreateInstance<AdminKeysEndpoint>(services);
        app.MapPost("/v1/admin/keys", keys.CreateAsync);
        app.MapGet("/v1/admin/keys", keys.ListAsync);
        app.MapGet("/v1/admin/keys/{id}", keys.GetAsync);
        app.MapPatch("/v1/admin/keys/{id}", keys.UpdateAsync);
        app.MapDelete("/v1/admin/keys/{id}", keys.RevokeAsync);
        app.MapPost("/v1/admin/keys/{id}/rotate", keys.RotateAsync);
        app.MapPost("/v1/admin/keys/{id}/revoke", keys.RevokeAsync);

        var teams = ActivatorUtilities.CreateInstance<AdminTeamsEndpoint>(services);
        app.MapPost("/v1/admin/teams", teams.CreateAsync);
        app.MapGet("/v1/admin/teams", teams.ListAsync);
        app.MapGet("/v1/admin/teams/{id}", teams.GetAsync);
        app.MapPatch("/v1/admin/teams/{id}", teams.UpdateAsync);
        app.MapDelete("/v1/admin/teams/{id}", teams.DeleteAsync);

        var customers = ActivatorUtilities.CreateInstance<AdminCustomersEndpoint>(services);
        app.MapPost("/v1/admin/customers", customers.CreateAsync);
        app.MapGet("/v1/admin/customers", customers.ListAsync);
        app.MapGet("/v1/admin/customers/{id}", customers.GetAsync);
        app.MapPatch("/v1/admin/customers/{id}", customers.UpdateAsync);
        app.MapDelete("/v1/admin/customers/{id}", customers.DeleteAsync);

        var usage = ActivatorUtilities.CreateInstance<AdminUsageEndpoint>(services);
        app.MapGet("/v1/admin/spend", usage.SpendAsync);
        app.MapGet("/v1/admin/requests", usage.RequestsAsync);
        app.MapGet("/v1/admin/requests/{id}", usage.RequestAsync);
        app.MapGet("/v1/admin/stats", usage.StatsAsync);

        app.MapGet("/v1/admin/budgets", ActivatorUtilities.CreateInstance<AdminBudgetsEndpoint>(services).ListAsync);
    }
}

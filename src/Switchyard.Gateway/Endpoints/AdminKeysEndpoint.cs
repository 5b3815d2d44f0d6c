using Microsoft.AspNetCore.Http;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>/v1/admin/keys</c> (admin role): create (201, with the secret, once), list (<c>limit</c>, <c>after</c>,
/// filters <c>team</c> and <c>customer</c>; the config file's keys too, <c>source: config</c>), show, update
/// (PATCH), rotate (a new secret, once; <c>grace</c> seconds for the old one), revoke (DELETE or POST /revoke).
/// </summary>
public sealed class AdminKeysEndpoint(Authorizer authorizer, KeyAdmin admin, GovernanceDirectory directory, TimeProvider time)
{
    /// <summary><c>POST /v1/admin/keys</c>.</summary>
    public async Task CreateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            KeyChanges? changes = null;
            if ((error ?? AdminJsonReader.Key(body!.RootElement, out changes)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 201, admin.Create(actor, changes!), (w, issued) => AdminJsonWriter.Key(w, issued.Key, time.GetUtcNow(), issued.Secret))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /v1/admin/keys</c>.</summary>
    public async Task ListAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        if (AdminHttp.Page(http.Request, out var limit, out var after) is { } invalid)
        {
            await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var (team, customer) = (AdminHttp.Query(http.Request, "team"), AdminHttp.Query(http.Request, "customer"));
        var view = directory.Current;
        var page = new List<string>(limit + 1);
        foreach (var id in view.KeyIds)
        {
            if ((after is null || string.CompareOrdinal(id, after) > 0) && Matches(view, id, team, customer))
            {
                page.Add(id);
                if (page.Count > limit)
                {
                    break;
                }
            }
        }

        var hasMore = page.Count > limit;
        var now = time.GetUtcNow();
        await AdminHttp.JsonAsync(http, 200, w => AdminHttp.List(w, hasMore ? page[..limit] : page, hasMore, id => id, (w, id) => Write(w, view, id, now)))
            .ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/admin/keys/{id}</c>.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        var id = Id(http);
        var view = directory.Current;
        if (!view.HasKeyId(id))
        {
            await AdminHttp.ErrorAsync(http, AdminErrors.NotFound("key", id)).ConfigureAwait(false);
            return;
        }

        await AdminHttp.JsonAsync(http, 200, w => Write(w, view, id, time.GetUtcNow())).ConfigureAwait(false);
    }

    /// <summary><c>PATCH /v1/admin/keys/{id}</c>.</summary>
    public async Task UpdateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            KeyChanges? changes = null;
            if ((error ?? AdminJsonReader.Key(body!.RootElement, out changes)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 200, admin.Update(actor, Id(http), changes!), (w, key) => AdminJsonWriter.Key(w, key, time.GetUtcNow()))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /v1/admin/keys/{id}/rotate</c>, body <c>{"grace": seconds}</c> (optional).</summary>
    public async Task RotateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: true).ConfigureAwait(false);
        using (body)
        {
            var grace = TimeSpan.Zero;
            if ((error ?? AdminJsonReader.Grace(body!.RootElement, out grace)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 200, admin.Rotate(actor, Id(http), grace), (w, issued) => AdminJsonWriter.Key(w, issued.Key, time.GetUtcNow(), issued.Secret))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>DELETE /v1/admin/keys/{id}</c> and <c>POST /v1/admin/keys/{id}/revoke</c>.</summary>
    public async Task RevokeAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        await AdminHttp.ResultAsync(http, 200, admin.Revoke(actor, Id(http)), (w, key) => AdminJsonWriter.Key(w, key, time.GetUtcNow())).ConfigureAwait(false);
    }

    private static string Id(HttpContext http) => (string)http.Request.RouteValues["id"]!;

    private static bool Matches(GovernanceView view, string id, string? team, string? customer)
    {
        var policy = view.ConfigKeys.TryGetValue(id, out var config) ? config.Policy : view.StoredKeys[id].Policy;
        return (team is null || policy.TeamId == team) && (customer is null || policy.CustomerId == customer);
    }

    private static void Write(System.Text.Json.Utf8JsonWriter w, GovernanceView view, string id, DateTimeOffset now)
    {
        if (view.ConfigKeys.TryGetValue(id, out var config))
        {
            AdminJsonWriter.Key(w, config, now);
        }
        else
        {
            AdminJsonWriter.Key(w, view.StoredKeys[id], now);
        }
    }
}

using Microsoft.AspNetCore.Http;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>/v1/admin/teams</c> (admin role): create (201), list (<c>limit</c>, <c>after</c>; the config file's teams
/// too, <c>source: config</c>), show, update (PATCH), delete (409 while the team owns live keys or customers).
/// </summary>
public sealed class AdminTeamsEndpoint(Authorizer authorizer, TeamAdmin admin, GovernanceDirectory directory)
{
    /// <summary><c>POST /v1/admin/teams</c>, body <c>{"id", "name", "allowed_models", "limits", "budget"}</c>.</summary>
    public async Task CreateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            string? id = null;
            TeamChanges? changes = null;
            if ((error ?? AdminJsonReader.Team(body!.RootElement, out id, out changes)
                ?? (id is null ? AdminErrors.Invalid("id", "is required", "missing_field") : (ClientError?)null)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 201, admin.CreateTeam(actor, id!, changes!), (w, team) => AdminJsonWriter.Team(w, team, fromConfig: false))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /v1/admin/teams</c>.</summary>
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

        var view = directory.Current;
        var page = view.TeamIds.Where(id => after is null || string.CompareOrdinal(id, after) > 0).Take(limit + 1).ToList();
        var hasMore = page.Count > limit;
        await AdminHttp.JsonAsync(http, 200, w => AdminHttp.List(w, hasMore ? page[..limit] : page, hasMore, id => id,
            (w, id) => AdminJsonWriter.Team(w, view.Team(id)!, view.ConfigTeams.ContainsKey(id)))).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/admin/teams/{id}</c>.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        var id = Id(http);
        var view = directory.Current;
        if (view.Team(id) is not { } team)
        {
            await AdminHttp.ErrorAsync(http, AdminErrors.NotFound("team", id)).ConfigureAwait(false);
            return;
        }

        await AdminHttp.JsonAsync(http, 200, w => AdminJsonWriter.Team(w, team, view.ConfigTeams.ContainsKey(id))).ConfigureAwait(false);
    }

    /// <summary><c>PATCH /v1/admin/teams/{id}</c>.</summary>
    public async Task UpdateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            string? id = null;
            TeamChanges? changes = null;
            if ((error ?? AdminJsonReader.Team(body!.RootElement, out id, out changes)
                ?? (id is not null && id != Id(http) ? AdminErrors.Invalid("id", "a team's id cannot change") : (ClientError?)null)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 200, admin.UpdateTeam(actor, Id(http), changes!), (w, team) => AdminJsonWriter.Team(w, team, fromConfig: false))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>DELETE /v1/admin/teams/{id}</c>.</summary>
    public async Task DeleteAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        await AdminHttp.ResultAsync(http, 200, admin.DeleteTeam(actor, Id(http)), (w, team) => AdminJsonWriter.Deleted(w, "team", team.Id)).ConfigureAwait(false);
    }

    private static string Id(HttpContext http) => (string)http.Request.RouteValues["id"]!;
}

using Microsoft.AspNetCore.Http;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>/v1/admin/customers</c> (admin role): register (201), list (<c>limit</c>, <c>after</c>, filter <c>team</c>),
/// show, update (PATCH), delete. A customer is identified by its team and its id: <c>/v1/admin/customers/{id}</c>
/// takes <c>?team=</c>, needed only when two teams have a customer of that id. An id is percent-encoded in the path
/// (it may hold any character). List cursors are <c>TEAM/ID</c> (team ids hold no '/').
/// </summary>
public sealed class AdminCustomersEndpoint(Authorizer authorizer, TeamAdmin admin, GovernanceDirectory directory)
{
    /// <summary><c>POST /v1/admin/customers</c>, body <c>{"id", "team", "name", "limits", "budget"}</c>.</summary>
    public async Task CreateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            string? id = null, team = null;
            CustomerChanges? changes = null;
            if ((error ?? AdminJsonReader.Customer(body!.RootElement, out id, out team, out changes)
                ?? (id is null ? AdminErrors.Invalid("id", "is required", "missing_field") : (ClientError?)null)
                ?? (team is null ? AdminErrors.Invalid("team", "is required", "missing_field") : (ClientError?)null)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 201, admin.CreateCustomer(actor, team!, id!, changes!), (w, c) => AdminJsonWriter.Customer(w, c, fromConfig: false))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /v1/admin/customers</c>.</summary>
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

        var team = AdminHttp.Query(http.Request, "team");
        var view = directory.Current;
        var page = view.Customers
            .Where(c => team is null || c.TeamId == team)
            .OrderBy(Cursor, StringComparer.Ordinal)
            .Where(c => after is null || string.CompareOrdinal(Cursor(c), after) > 0)
            .Take(limit + 1)
            .ToList();
        var hasMore = page.Count > limit;
        await AdminHttp.JsonAsync(http, 200, w => AdminHttp.List(w, hasMore ? page[..limit] : page, hasMore, Cursor,
            (w, c) => AdminJsonWriter.Customer(w, c, view.ConfigCustomers.ContainsKey((c.TeamId, c.Id))))).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/admin/customers/{id}</c>.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        var view = directory.Current;
        if (Find(view, http, out var customer) is { } error)
        {
            await AdminHttp.ErrorAsync(http, error).ConfigureAwait(false);
            return;
        }

        await AdminHttp.JsonAsync(http, 200, w => AdminJsonWriter.Customer(w, customer!, view.ConfigCustomers.ContainsKey((customer!.TeamId, customer.Id))))
            .ConfigureAwait(false);
    }

    /// <summary><c>PATCH /v1/admin/customers/{id}</c>.</summary>
    public async Task UpdateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        var (body, error) = await AdminHttp.ReadObjectAsync(http, allowEmpty: false).ConfigureAwait(false);
        using (body)
        {
            CustomerInfo? found = null;
            CustomerChanges? changes = null;
            if ((error ?? Find(directory.Current, http, out found) ?? AdminJsonReader.Customer(body!.RootElement, out var id, out var team, out changes)
                ?? Unchanged(id, team, found!)) is { } invalid)
            {
                await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            await AdminHttp.ResultAsync(http, 200, admin.UpdateCustomer(actor, found!.TeamId, found.Id, changes!), (w, c) => AdminJsonWriter.Customer(w, c, fromConfig: false))
                .ConfigureAwait(false);
        }
    }

    /// <summary><c>DELETE /v1/admin/customers/{id}</c>.</summary>
    public async Task DeleteAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is not { } actor)
        {
            return;
        }

        if (Find(directory.Current, http, out var customer) is { } error)
        {
            await AdminHttp.ErrorAsync(http, error).ConfigureAwait(false);
            return;
        }

        await AdminHttp.ResultAsync(http, 200, admin.DeleteCustomer(actor, customer!.TeamId, customer.Id), (w, c) => AdminJsonWriter.Deleted(w, "customer", c.Id, c.TeamId))
            .ConfigureAwait(false);
    }

    private static string Cursor(CustomerInfo c) => c.TeamId + "/" + c.Id;

    private static ClientError? Unchanged(string? id, string? team, CustomerInfo found) =>
        id is not null && id != found.Id ? AdminErrors.Invalid("id", "a customer's id cannot change")
        : team is not null && team != found.TeamId ? AdminErrors.Invalid("team", "a customer's team cannot change")
        : null;

    /// <summary>The customer the path (and <c>?team=</c>) names; 404, or 400 when the id is in several teams and no team is given.</summary>
    private static ClientError? Find(GovernanceView view, HttpContext http, out CustomerInfo? customer)
    {
        var id = AdminHttp.Segment(http, 3); // /v1/admin/customers/{id}
        var team = AdminHttp.Query(http.Request, "team");
        var matches = view.Customers.Where(c => c.Id == id && (team is null || c.TeamId == team)).ToList();
        customer = matches.Count == 1 ? matches[0] : null;
        return matches.Count switch
        {
            0 => AdminErrors.NotFound("customer", id),
            1 => null,
            _ => AdminErrors.Invalid("team", $"the customer id '{id}' exists in teams {string.Join(", ", matches.Select(c => c.TeamId))}: add ?team=", "ambiguous_customer"),
        };
    }
}

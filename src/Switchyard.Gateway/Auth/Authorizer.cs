using Microsoft.AspNetCore.Http;

namespace Switchyard.Auth;

/// <summary>
/// The one place that decides who a caller is and whether it may use an endpoint, and the one place that
/// writes the 401 and 403 answers, in the caller's own format. The pipeline's authenticate stage and every
/// endpoint outside the pipeline (models, deployments, explain, drills, count_tokens) go through it.
/// </summary>
public sealed class Authorizer(IKeyStore keys)
{
    /// <summary>The key store (the admin API writes to it).</summary>
    public IKeyStore Keys { get; } = keys;

    /// <summary>
    /// The caller, when its key is known and its role is at least <paramref name="needed"/>; otherwise null,
    /// with the refusal already written in <paramref name="format"/>.
    /// </summary>
    public async ValueTask<Caller?> AuthorizeAsync(HttpContext http, IInboundFormat format, KeyRole needed)
    {
        var caller = Authorize(http.Request, needed, format.AcceptsKeyInQuery, out var refusal);
        if (refusal is { } error)
        {
            await WriteRefusalAsync(http, format, error).ConfigureAwait(false);
        }

        return caller;
    }

    /// <summary>The caller, or null with the <paramref name="refusal"/> to answer (401 or 403).</summary>
    public Caller? Authorize(HttpRequest request, KeyRole needed, bool allowQueryKey, out ClientError? refusal)
    {
        var outcome = KeyAuthenticator.Authenticate(Keys, request, allowQueryKey, out var caller);
        refusal = Refusal(outcome, caller, needed);
        return refusal is null ? caller : null;
    }

    /// <summary>Writes a 401 (with <c>WWW-Authenticate</c>) or 403 in <paramref name="format"/>.</summary>
    public static Task WriteRefusalAsync(HttpContext http, IInboundFormat format, in ClientError refusal)
    {
        if (refusal.Status == 401)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return ClientErrors.WriteAsync(http, format, refusal);
    }

    /// <summary>What to answer for <paramref name="outcome"/>, or null when the caller may proceed.</summary>
    public static ClientError? Refusal(AuthOutcome outcome, Caller? caller, KeyRole needed) => outcome switch
    {
        AuthOutcome.Missing => new ClientError(401, ErrorCategory.Authentication,
            "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key').", null, "missing_api_key"),
        AuthOutcome.Invalid => new ClientError(401, ErrorCategory.Authentication, "Incorrect API key provided.", null, "invalid_api_key"),
        _ when !caller!.Has(needed) => new ClientError(403, ErrorCategory.PermissionDenied,
            $"This key may not use this endpoint: it needs the {RoleName(needed)} role (this key has {RoleName(caller.Role)}).", null, "permission_denied"),
        _ => null,
    };

    /// <summary>The config name of <paramref name="role"/>.</summary>
    public static string RoleName(KeyRole role) => role switch
    {
        KeyRole.Admin => "admin",
        KeyRole.Operator => "operator",
        _ => "client",
    };
}

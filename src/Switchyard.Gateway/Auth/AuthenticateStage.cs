namespace Switchyard.Auth;

/// <summary>
/// Auth: who is calling. The key comes from the request's headers (or <c>?key=</c> on Gemini paths); an unknown or missing
/// key is refused with 401 in the caller's format before the body is read, so an anonymous client cannot
/// make the gateway buffer a body. Every model endpoint needs <see cref="KeyRole.Client"/>, which every key has.
/// </summary>
public sealed class AuthenticateStage(Authorizer authorizer) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        ctx.Caller = authorizer.Authorize(ctx.Http.Request, KeyRole.Client, ctx.Format.AcceptsKeyInQuery, out var refusal);
        if (refusal is not { } error)
        {
            return true;
        }

        ctx.RefusalCode = error.Code;
        await Authorizer.WriteRefusalAsync(ctx.Http, ctx.Format, error).ConfigureAwait(false);
        return false;
    }
}

using Microsoft.AspNetCore.Http;
using Switchyard.Admission;
using Switchyard.Auth;
using Switchyard.Providers.Anthropic;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c> (Anthropic): authenticated, read and parsed like a message, then
/// counted by the alias's first deployment (<see cref="AnthropicCountTokens"/>). Not metered: counting
/// generates nothing. A model the key may not use is refused (403) as on <c>/v1/messages</c>.
/// </summary>
public sealed class CountTokensEndpoint(RouterState router, Authorizer authorizer, AnthropicCountTokens counter, IGovernanceDirectory directory)
{
    private static readonly AnthropicMessagesFormat Format = new();

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        var table = router.Current;
        if (await authorizer.AuthorizeAsync(http, Format, KeyRole.Client).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var limit = table.Config.Server.MaxRequestBodyBytes;
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, limit, http.RequestAborted).ConfigureAwait(false);
        using (body)
        {
            if (tooLarge)
            {
                await AnthropicCountTokens.ErrorAsync(http, new ClientError(413, ErrorCategory.RequestTooLarge,
                    $"The request body exceeds the gateway's limit of {limit} bytes.")).ConfigureAwait(false);
                return;
            }

            if (AnthropicRequestParser.Parse(body!.Span, requireMaxTokens: false, out var head) is { } invalid)
            {
                await AnthropicCountTokens.ErrorAsync(http, invalid).ConfigureAwait(false);
                return;
            }

            if (!table.Aliases.TryGetValue(head.Model, out var route))
            {
                await AnthropicCountTokens.ErrorAsync(http, new ClientError(404, ErrorCategory.NotFound,
                    $"model: The model '{head.Model}' does not exist on this gateway.")).ConfigureAwait(false);
                return;
            }

            if (!GovernanceRules.AllowsModel(KeyPolicyStage.AllowedModels(caller.Policy, directory), head.Model))
            {
                await AnthropicCountTokens.ErrorAsync(http, KeyPolicyStage.NotAllowed(head.Model, "model")).ConfigureAwait(false);
                return;
            }

            await counter.CountAsync(http, body, head, route.Deployments[0]).ConfigureAwait(false);
        }
    }
}

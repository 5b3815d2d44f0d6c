using System.Diagnostics;
using System.Net.Http.Headers;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// The send step every attempt kind shares (passthrough, translated, embeddings): per-request connect timeout,
/// the first-byte phase of the attempt's timer, and a non-2xx answer read, classified and reported to the
/// provider's key pool. What comes back is either a 2xx response for the caller to read (and dispose) or
/// the failure, with nothing written to the client.
/// </summary>
public static class UpstreamSend
{
    /// <summary>
    /// Set on a request whose redirect the caller follows itself (a video download: Gemini's file uri redirects to its
    /// storage, which must not receive the API key): a 3xx with a <c>Location</c> comes back as the response.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> ReturnRedirect = new("switchyard.return-redirect");

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="deployment"/> under <paramref name="timer"/>. A non-2xx
    /// answer is classified by <paramref name="protocol"/> when the request passed through (its body is then in the
    /// client's format), else by <paramref name="adapter"/>.
    /// </summary>
    public static async Task<(HttpResponseMessage? Response, UpstreamFailure? Failure)> SendAsync(UpstreamHttp upstream,
        HttpRequestMessage message, DeploymentTarget deployment, AttemptTimer timer, IProviderAdapter adapter, IPassthroughProtocol? protocol)
    {
        var timeouts = deployment.Config.Timeouts;
        if (timeouts.Connect != Timeouts.Default.Connect)
        {
            // Only a non-default value is carried: the options dictionary is an allocation per request.
            message.Options.Set(UpstreamHttp.ConnectTimeoutKey, timeouts.Connect);
        }

        Propagate(message);
        timer.Arm("first_byte", timeouts.FirstByte);
        HttpResponseMessage response;
        try
        {
            response = await upstream.For(deployment.Config.Provider).SendAsync(message, timer.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return (null, PassthroughAttempts.Failed(ex, timer, deployment));
        }

        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300
            || (status is >= 300 and < 400 && response.Headers.Location is not null && message.Options.TryGetValue(ReturnRedirect, out var follow) && follow))
        {
            return (response, null);
        }

        using (response)
        {
            var (errorBody, gone) = await PassthroughAttempts.ReadErrorBodyAsync(response, deployment, timer).ConfigureAwait(false);

            // A refused key goes on cooldown; while its pool has another, the retry uses that (KeyPool.Report).
            return (null, gone
                ? new UpstreamFailure(FailureKind.ClientCancelled, "client disconnected")
                : KeyPool.Report(message, protocol is not null
                    ? protocol.ClassifyError(status, errorBody, response.Headers, deployment)
                    : adapter.ClassifyError(status, errorBody, response.Headers, deployment)));
        }
    }

    /// <summary>
    /// The attempt's span (current while it runs, see Dispatcher) goes upstream as <c>traceparent</c>/<c>tracestate</c>,
    /// so the provider's spans are children of the attempt. Written here because HttpClient's own propagation would
    /// send the id of an HTTP client activity of its own that nobody exports (the upstream's parent would be missing
    /// from the trace); it leaves a header that is already there alone. Without traces no span is current: one read.
    /// </summary>
    private static void Propagate(HttpRequestMessage message)
    {
        if (Activity.Current is { } span && ReferenceEquals(span.Source, GatewayTracing.Source))
        {
            DistributedContextPropagator.Current.Inject(span, message.Headers,
                static (carrier, name, value) => ((HttpRequestHeaders)carrier!).TryAddWithoutValidation(name, value));
        }
    }
}

using System.Buffers;
using Switchyard.Dispatch;
using Switchyard.Providers;
using Switchyard.Upstream;

namespace Switchyard.Jobs;

/// <summary>
/// One call to the deployment that owns a job (a poll, a download, a delete): sent once, under the deployment's
/// timeouts, never routed elsewhere (the job exists only there), logged as the request's attempt, and its failure
/// classified like any attempt's. Shared by the client's calls and the background poller.
/// </summary>
public sealed class VideoUpstream(UpstreamHttp upstream, ProviderRegistry providers, TimeProvider time, DrainSignal drain)
{
    /// <summary>The provider of <paramref name="deployment"/>'s video jobs, or null when its kind makes none (config changed).</summary>
    public IVideoProvider? Provider(DeploymentTarget deployment) => providers.Videos(deployment.Config.Provider.Kind);

    /// <summary>Sends <paramref name="message"/>; the 2xx response (the caller disposes it and the timer) or the failure.</summary>
    public async Task<(HttpResponseMessage? Response, AttemptTimer Timer, UpstreamFailure? Failure)> SendAsync(HttpRequestMessage message,
        DeploymentTarget deployment, CancellationToken abort)
    {
        var timer = new AttemptTimer(time, deployment.Config.Timeouts.Total, abort, drain.Expired);
        var adapter = providers.Adapter(deployment.Config.Provider.Kind)!;
        var (response, failure) = await UpstreamSend.SendAsync(upstream, message, deployment, timer, adapter, null).ConfigureAwait(false);
        return (response, timer, failure);
    }

    /// <summary>
    /// Sends a download, following at most <see cref="MaxRedirects"/> redirects itself: the provider's headers (its key)
    /// go only to the first request, never to the (signed) storage URL a file uri redirects to.
    /// </summary>
    public async Task<(HttpResponseMessage? Response, AttemptTimer Timer, UpstreamFailure? Failure)> DownloadAsync(HttpRequestMessage message,
        DeploymentTarget deployment, CancellationToken abort)
    {
        message.Options.Set(UpstreamSend.ReturnRedirect, true);
        var sent = await SendAsync(message, deployment, abort).ConfigureAwait(false);
        for (var hop = 0; hop < MaxRedirects && sent.Response is { StatusCode: >= (System.Net.HttpStatusCode)300 and < (System.Net.HttpStatusCode)400 } redirect; hop++)
        {
            var target = new Uri(message.RequestUri!, redirect.Headers.Location!);
            using var next = new HttpRequestMessage(HttpMethod.Get, target); // no provider header: the target is signed, the key stays home
            next.Options.Set(UpstreamSend.ReturnRedirect, true);

            redirect.Dispose();
            sent.Timer.Dispose();
            sent = await SendAsync(next, deployment, abort).ConfigureAwait(false);
        }

        if (sent.Response is { StatusCode: >= (System.Net.HttpStatusCode)300 and < (System.Net.HttpStatusCode)400 } loop)
        {
            loop.Dispose();
            return (null, sent.Timer, new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' redirected the download more than {MaxRedirects} times", 502));
        }

        return sent;
    }

    /// <summary>Redirects a download may take (Gemini's file uri takes one, to its storage).</summary>
    public const int MaxRedirects = 3;

    /// <summary>Polls the job: its state, or the failure.</summary>
    public Task<(VideoState? State, UpstreamFailure? Failure)> PollAsync(IVideoProvider provider, UpstreamObject job, DeploymentTarget deployment,
        CancellationToken abort, int maxBytes) =>
        CallAsync(provider.Poll(job, deployment), deployment, abort, maxBytes, provider.ReadPoll);

    /// <summary>Sends <paramref name="message"/> (disposed here) and reads its whole 2xx answer (bounded) with <paramref name="read"/>; or the failure.</summary>
    public async Task<(T? Value, UpstreamFailure? Failure)> CallAsync<T>(HttpRequestMessage message, DeploymentTarget deployment,
        CancellationToken abort, int maxBytes, Reader<T> read)
        where T : class
    {
        using var _ = message;
        var (response, timer, failure) = await SendAsync(message, deployment, abort).ConfigureAwait(false);
        using var __ = timer;
        if (failure is not null)
        {
            return (null, failure);
        }

        using (response)
        {
            var (buffer, length, unread) = await PassthroughAttempts.ReadWholeAsync(response!, deployment, timer, deployment.Config.Timeouts.Idle, maxBytes).ConfigureAwait(false);
            if (unread is not null)
            {
                return (null, unread);
            }

            try
            {
                return (read(buffer.AsSpan(0, length)), null);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return (null, new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' returned an answer that could not be read: {ex.Message}", 502));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer!);
            }
        }
    }
}

/// <summary>Reads a provider's whole answer.</summary>
/// <typeparam name="T">What it reads.</typeparam>
public delegate T Reader<out T>(ReadOnlySpan<byte> body);

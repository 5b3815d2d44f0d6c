using Switchyard.Providers;
using Switchyard.Upstream;

namespace Switchyard.Batches;

/// <summary>
/// The provider side of files and batches (docs/adr/0017-beyond-chat.md, "Files and batches"): one HTTP call to the
/// deployment that holds an object, at the URL its kind's adapter gives for <c>files</c> or <c>batches</c> (OpenAI's
/// <c>{base}/files</c>; Azure's resource-level <c>/openai/files?api-version=…</c>) with a path suffix
/// (<c>/{id}</c>, <c>/{id}/content</c>, <c>/{id}/cancel</c>) and its authentication. Only OpenAI-protocol kinds have
/// these endpoints; a deployment takes part only when its <c>operations:</c> lists <c>batches</c>.
/// </summary>
public sealed class ProviderObjects(UpstreamHttp upstream, ProviderRegistry providers)
{
    /// <summary>True when <paramref name="deployment"/> may hold files and run batches.</summary>
    public bool Serves(DeploymentTarget deployment) =>
        (deployment.Config.Operations & OperationKinds.Batches) != 0
        && providers.Adapter(deployment.Config.Provider.Kind) is { Protocol: "openai" };

    /// <summary>
    /// Sends one call and returns the response once its headers are in (the caller reads and disposes it). Bounded by the
    /// deployment's total timeout unless <paramref name="unbounded"/> (an upload or a download, which last as long as
    /// their bytes take; the client's own abort still ends them).
    /// </summary>
    /// <param name="deployment">The deployment that holds the object.</param>
    /// <param name="operation"><see cref="Operation.Files"/> or <see cref="Operation.Batches"/>.</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="suffix">What follows the collection in the path (<c>/file-abc/content</c>), or empty.</param>
    /// <param name="query">Query parameters to add (<c>limit=20</c>), without <c>?</c>, or null.</param>
    /// <param name="content">The body, or null.</param>
    /// <param name="unbounded">True for uploads and downloads.</param>
    /// <param name="ct">The client's abort.</param>
    public async Task<HttpResponseMessage> SendAsync(DeploymentTarget deployment, Operation operation, HttpMethod method, string suffix,
        string? query, HttpContent? content, bool unbounded, CancellationToken ct)
    {
        var adapter = providers.Adapter(deployment.Config.Provider.Kind)
            ?? throw new InvalidOperationException($"provider kind '{deployment.Config.Provider.Kind}' has no adapter");
        using var message = new HttpRequestMessage(method, (Uri?)null) { Content = content };
        adapter.PreparePassthrough(message, deployment, operation, stream: false);
        message.RequestUri = WithSuffix(message.RequestUri!, suffix, query);
        using var timeout = unbounded ? null : new CancellationTokenSource(deployment.Config.Timeouts.Total);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        return await upstream.For(deployment.Config.Provider).SendAsync(message, linked?.Token ?? ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="collection"/> (<c>…/files?api-version=…</c>) with <paramref name="suffix"/> appended to its path
    /// and <paramref name="query"/> to its query: the api-version Azure needs stays.
    /// </summary>
    internal static Uri WithSuffix(Uri collection, string suffix, string? query)
    {
        var builder = new UriBuilder(collection);
        builder.Path = builder.Path.TrimEnd('/') + suffix;
        if (!string.IsNullOrEmpty(query))
        {
            builder.Query = string.IsNullOrEmpty(builder.Query) ? query : builder.Query.TrimStart('?') + "&" + query;
        }

        return builder.Uri;
    }
}

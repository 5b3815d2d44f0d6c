using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace Switchyard.Upstream;

/// <summary>
/// The outbound HTTP stack: one pooled <see cref="SocketsHttpHandler"/> shared by every network provider
/// (connections are pooled per host, and survive config reloads), plus in-process handlers for provider kinds
/// that never touch the network (the built-in echo model).
/// </summary>
public sealed class UpstreamHttp : IDisposable
{
    /// <summary>Per-request connect timeout, read by the connect callback (pooled connections skip it).</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("switchyard.connect-timeout");

    private readonly HttpMessageInvoker network;
    private readonly FrozenDictionary<string, HttpMessageInvoker> inProcess;

    /// <summary>Creates the handlers; <paramref name="inProcess"/> (keyed by provider kind name) answers those kinds without a socket.</summary>
    public UpstreamHttp(IReadOnlyDictionary<string, HttpMessageHandler>? inProcess = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            // Re-resolve DNS now and then so a provider's failover is picked up; idle sockets are closed
            // before typical cloud load balancers (60–350 s) drop them under us.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = ConnectAsync,
        };
        network = new HttpMessageInvoker(handler, disposeHandler: true);
        this.inProcess = (inProcess ?? new Dictionary<string, HttpMessageHandler>())
            .ToFrozenDictionary(p => p.Key, p => new HttpMessageInvoker(p.Value, disposeHandler: true), StringComparer.Ordinal);
    }

    /// <summary>The invoker that reaches <paramref name="provider"/>.</summary>
    public HttpMessageInvoker For(ProviderConfig provider) =>
        inProcess.Count > 0 && inProcess.TryGetValue(provider.Kind, out var local) ? local : network;

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var timeout = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var t)
            ? t
            : Timeouts.Default.Connect;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cts.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"connect to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} timed out after {timeout.TotalSeconds:0.###} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        network.Dispose();
        foreach (var invoker in inProcess.Values)
        {
            invoker.Dispose();
        }
    }
}

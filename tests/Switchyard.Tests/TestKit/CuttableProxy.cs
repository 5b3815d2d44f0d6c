using System.Net;
using System.Net.Sockets;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A loopback TCP proxy in front of a real server that a test can break on purpose, deterministically:
/// <see cref="Cut"/> closes every connection and refuses new ones (a server that died), <see cref="Stall"/> keeps
/// the connections open but stops moving bytes (a server or network that hangs: only timeouts notice), and
/// <see cref="Restore"/> lets traffic through again on the same port.
/// </summary>
internal sealed class CuttableProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly Lock gate = new();
    private readonly List<TcpClient> open = [];
    private readonly CancellationTokenSource stopping = new();
    private TcpListener? listener;
    private volatile bool stalled;

    private CuttableProxy(IPEndPoint target, int port)
    {
        this.target = target;
        Port = port;
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Starts a proxy to <paramref name="target"/> (<c>host:port</c>) on a free loopback port.</summary>
    public static CuttableProxy Start(string target)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var proxy = new CuttableProxy(IPEndPoint.Parse(target.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)), port);
        proxy.Restore();
        return proxy;
    }

    /// <summary>Closes every connection and stops listening: clients see resets, then refused connections.</summary>
    public void Cut()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
            foreach (var client in open)
            {
                try
                {
                    client.Client?.LingerState = new LingerOption(true, 0); // a reset, as when a server dies
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }

                client.Dispose();
            }

            open.Clear();
        }
    }

    /// <summary>Keeps connections open but forwards nothing: every call hangs until the client's own timeout.</summary>
    public void Stall() => stalled = true;

    /// <summary>Listens (again) and forwards bytes.</summary>
    public void Restore()
    {
        stalled = false;
        lock (gate)
        {
            if (listener is not null)
            {
                return;
            }

            var next = new TcpListener(IPAddress.Loopback, Port);
            next.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            next.Start();
            listener = next;
            _ = AcceptAsync(next);
        }
    }

    private async Task AcceptAsync(TcpListener from)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await from.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return; // stopped by Cut or Dispose
            }

            _ = BridgeAsync(client);
        }
    }

    private async Task BridgeAsync(TcpClient client)
    {
        var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        lock (gate)
        {
            open.Add(client);
            open.Add(server);
        }

        try
        {
            await server.ConnectAsync(target, stopping.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        var input = from.GetStream();
        var output = to.GetStream();
        while (true)
        {
            var read = await input.ReadAsync(buffer, stopping.Token);
            if (read == 0)
            {
                return;
            }

            while (stalled)
            {
                await Task.Delay(5, stopping.Token); // swallow nothing: bytes wait here until Restore or Cut
            }

            await output.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        Cut();
        stopping.Dispose();
    }
}

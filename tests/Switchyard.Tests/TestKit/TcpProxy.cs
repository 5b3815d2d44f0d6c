using System.Net;
using System.Net.Sockets;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server (PostgreSQL in the storage tests) that a test can cut and restore:
/// <see cref="Cut"/> resets every open connection and refuses new ones until <see cref="Restore"/>. Deterministic,
/// unlike stopping the real server: nothing else shares it, and it takes no time.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private readonly List<Socket> open = [];
    private readonly Task accepting;
    private volatile bool cut;

    /// <summary>Starts relaying to <paramref name="host"/>:<paramref name="port"/>.</summary>
    public TcpProxy(string host, int port)
    {
        target = new IPEndPoint(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port);
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The port to connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Resets every connection and refuses new ones (accepted, then reset at once) until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        cut = true;
        lock (gate)
        {
            foreach (var socket in open)
            {
                Reset(socket);
            }

            open.Clear();
        }
    }

    /// <summary>Relays again.</summary>
    public void Restore() => cut = false;

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (cut)
            {
                Reset(client);
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(target, stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            Reset(client);
            server.Dispose();
            return;
        }

        lock (gate)
        {
            if (cut)
            {
                Reset(client);
                Reset(server);
                return;
            }

            open.Add(client);
            open.Add(server);
        }

        await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        lock (gate)
        {
            open.Remove(client);
            open.Remove(server);
        }

        Reset(client);
        Reset(server);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes with RST (linger 0): the peer sees "connection reset", as when a server dies.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        Cut();
        await accepting;
        stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Canonical;
using Switchyard.Providers;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// The front door under hostile input (issue #8): each case gets its status, an error body in the caller's
/// own shape with <c>x-request-id</c>, and a usage record that says what the client received.
/// </summary>
public sealed class FrontDoorTests
{
    private const string Echo = """{"model":"switchyard/echo","messages":[{"role":"user","content":"CONTENT"}]}""";

    [Fact]
    public async Task InvalidUtf8Body_Is400InTheCallersShape_AndRecorded()
    {
        await using var h = await GatewayHarness.StartAsync();
        var bytes = Encoding.UTF8.GetBytes(Echo.Replace("CONTENT", "hi XX there", StringComparison.Ordinal));
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xff;
        bytes[at + 1] = 0xfe;
        using var chat = await SendBytesAsync(h, "/v1/chat/completions", bytes);
        using var messages = await SendBytesAsync(h, "/v1/messages", bytes);

        Assert.Equal(HttpStatusCode.BadRequest, chat.StatusCode);
        Assert.Equal("invalid_encoding", ErrorCode(await chat.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, messages.StatusCode);
        Assert.Equal("error", JsonDocument.Parse(await messages.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
        var record = await h.UsageAsync(Wire.Header(chat, "x-request-id")!);
        Assert.Equal(400, record.Status);
        Assert.Equal("invalid_encoding", record.ErrorKind);
    }

    [Fact]
    public async Task LoneSurrogateInATranslatedRequest_Is400_NotAnEmpty500()
    {
        await using var h = await GatewayHarness.StartAsync();
        var body = """{"model":"switchyard/echo","max_tokens":10,"messages":[{"role":"user","content":"hi \ud800 there"}]}""";
        using var request = h.Post("/v1/messages", body);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var r = await h.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("invalid_request_error", text);
        Assert.NotNull(Wire.Header(r, "x-request-id"));
        Assert.Equal(400, (await h.UsageAsync(Wire.Header(r, "x-request-id")!)).Status);
    }

    [Fact]
    public async Task LoneSurrogateToTheEchoModel_Is400FromIt_NotAnEmpty500()
    {
        await using var h = await GatewayHarness.StartAsync();
        using var r = await h.PostChatAsync("""{"model":"switchyard/echo","messages":[{"role":"user","content":"hi \ud800 there"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_request_error", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(400, (await h.UsageAsync(Wire.Header(r, "x-request-id")!)).Status);
    }

    [Fact]
    public async Task AGatewayBug_Is500InTheCallersShape_WithTheRequestId_AndRecorded()
    {
        var yaml = """
            providers: { b: { kind: broken } }
            deployments: { d: { provider: b, model: m } }
            models: { buggy: d }
            """;
        await using var h = await GatewayHarness.StartAsync(yaml, fakes: 0, providers: ProviderCatalog.Default.With(new BrokenProvider()));
        using var request = h.Post("/v1/messages", """{"model":"buggy","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var r = await h.SendAsync(request);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        var id = Wire.Header(r, "x-request-id")!;
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        Assert.Contains(id, doc.RootElement.GetProperty("error").GetProperty("message").GetString());
        var record = await h.UsageAsync(id);
        Assert.Equal(500, record.Status);
        Assert.Equal("internal_error", record.ErrorKind);
    }

    [Fact]
    public async Task StalledBody_Is408_NotRecordedAs200()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await GatewayHarness.StartAsync(time: time);
        using var socket = await ConnectAsync(h);
        await SendAsync(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + $"Authorization: Bearer {GatewayHarness.ClientKey}\r\nContent-Length: 500\r\n\r\n{{\"model\":");

        var response = await ReadWhileAdvancingAsync(socket, time);

        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.Contains("request_timeout", response);
        var record = Assert.Single(await h.UsageRecordsAsync(1));
        Assert.Equal(408, record.Status);
    }

    [Fact]
    public async Task DeclaredBodyOverTheLimit_Is413BeforeTheBodyIsSent()
    {
        await using var h = await GatewayHarness.StartAsync();
        using var socket = await ConnectAsync(h);
        await SendAsync(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + $"Authorization: Bearer {GatewayHarness.ClientKey}\r\nContent-Length: 104857600\r\n\r\n{{\"model\":\"x\"");

        // Only headers and 12 bytes of the 100 MB were sent: the answer comes without the rest.
        var response = await ReadAllAsync(socket);

        Assert.StartsWith("HTTP/1.1 413", response);
        Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("request_too_large", response);
    }

    [Fact]
    public async Task HugeModelName_Is400_AndNothingOfItIsEchoedOrStored()
    {
        await using var h = await GatewayHarness.StartAsync();
        var model = new string('m', 300_000);
        using var r = await h.PostChatAsync(Echo.Replace("switchyard/echo", model, StringComparison.Ordinal).Replace("CONTENT", "hi", StringComparison.Ordinal));
        var text = await r.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True(text.Length < 1000, "the error must not echo the name");
        var record = await h.UsageAsync(Wire.Header(r, "x-request-id")!);
        Assert.True((record.Alias ?? "").Length <= 256);
    }

    [Fact]
    public async Task KeyInTheQuery_IsTakenOnGeminiPathsOnly()
    {
        await using var h = await GatewayHarness.StartAsync(); // keys configured: the query key is the only one sent
        using var openaiWithQuery = await h.Http.SendAsync(h.Post($"/v1/chat/completions?key={GatewayHarness.ClientKey}",
            Echo.Replace("CONTENT", "hi", StringComparison.Ordinal), key: null));
        using var gemini = await h.Http.SendAsync(h.Post($"/v1beta/models/solo:generateContent?key={GatewayHarness.ClientKey}",
            """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}""", key: null));

        Assert.Equal(HttpStatusCode.Unauthorized, openaiWithQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, gemini.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/v1/chat/completions", 405, "POST", "openai")]
    [InlineData("DELETE", "/v1/messages", 405, "POST", "anthropic")]
    [InlineData("POST", "/v1/models", 405, "GET", "openai")]
    [InlineData("GET", "/admin/secret", 404, null, "openai")]
    [InlineData("GET", "/v1/nothing-here", 404, null, "openai")]
    [InlineData("GET", "/v1beta/tunedModels", 404, null, "google")]
    public async Task UnknownPathOrWrongMethod_AnsweredInThePathsShape_AndRecorded(string method, string path, int status, string? allow, string shape)
    {
        await using var h = await GatewayHarness.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), h.Url(path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var r = await h.Http.SendAsync(request);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());

        Assert.Equal(status, (int)r.StatusCode);
        if (allow is not null)
        {
            Assert.Equal(allow, string.Join(", ", r.Content.Headers.Allow));
        }

        var root = doc.RootElement;
        Assert.True(shape switch
        {
            "anthropic" => root.GetProperty("type").GetString() == "error",
            "google" => root.GetProperty("error").GetProperty("code").GetInt32() == status,
            _ => root.GetProperty("error").TryGetProperty("message", out _),
        });
        var record = await h.UsageAsync(Wire.Header(r, "x-request-id")!);
        Assert.Equal(status, record.Status);
        Assert.Equal("other", record.Operation);
    }

    private static async Task<HttpResponseMessage> SendBytesAsync(GatewayHarness h, string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, h.Url(path)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return await h.Http.SendAsync(request);
    }

    private static string? ErrorCode(string json) => JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("code").GetString();

    private static async Task<Socket> ConnectAsync(GatewayHarness h)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, h.Gateway.BaseAddress.Port);
        return socket;
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text).AsMemory()).AsTask();

    /// <summary>
    /// Reads until the server closes the connection (bounded by <see cref="GatewayHarness.Bound"/>). A reset counts as
    /// the close: after a 408 Kestrel aborts the connection, and a reset may race the read that would see the end.
    /// </summary>
    private static async Task<string> ReadAllAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(GatewayHarness.Bound);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>Moves the gateway's clock past the body-read timeout until it answers (the timer exists once the read started).</summary>
    private static async Task<string> ReadWhileAdvancingAsync(Socket socket, FakeTimeProvider time)
    {
        using var cts = new CancellationTokenSource(GatewayHarness.Bound);
        var buffer = new byte[4096];
        var receive = socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
        while (!receive.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(31));
            await Task.WhenAny(receive, Task.Delay(20, cts.Token));
        }

        var n = await receive;
        return Encoding.UTF8.GetString(buffer, 0, n) + await ReadAllAsync(socket);
    }

    /// <summary>A provider kind whose adapter has a bug: stands in for any unhandled exception on the request path.</summary>
    private sealed class BrokenProvider : ProviderDescriptor
    {
        public override string Kind => "broken";

        public override Uri DefaultBaseUrl => new("http://broken.switchyard.invalid");

        public override IProviderAdapter CreateAdapter(ProviderServices services) => new BrokenAdapter();
    }

    private sealed class BrokenAdapter : IProviderAdapter
    {
        public string Protocol => "broken";

        public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream) =>
            throw new NotImplementedException("a bug");

        public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop) => throw new NotImplementedException("a bug");

        public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment) => throw new NotImplementedException("a bug");

        public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => throw new NotImplementedException("a bug");

        public UpstreamFailure ClassifyError(int status, byte[]? body, System.Net.Http.Headers.HttpResponseHeaders headers, DeploymentTarget deployment) =>
            throw new NotImplementedException("a bug");
    }
}

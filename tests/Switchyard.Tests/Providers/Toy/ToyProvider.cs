using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Tests.Providers.Toy;

/// <summary>
/// A provider kind that exists only in the test project: <c>kind: toy</c>. It proves that a kind registered
/// from outside the gateway (<c>ProviderCatalog.Default.With(new ToyProvider())</c>) is validated and served
/// like a built-in one, with no edit under <c>src/</c>. Its protocol is deliberately tiny and unlike any real
/// one (<see cref="ToyWire"/>), and it is answered in-process by <see cref="ToyHandler"/>.
/// </summary>
internal sealed class ToyProvider : ProviderDescriptor
{
    public const string KindName = "toy";

    /// <summary>A reserved (.invalid) host: toy requests never leave the process.</summary>
    public static readonly Uri Host = new("http://toy.switchyard.invalid");

    private static readonly string[] Names = ["voice", "prefix"];

    /// <summary>A hosted toy service, so presets (<c>preset: toy-cloud</c>, the environment defaults) are covered too.</summary>
    private static readonly ProviderPreset[] Known = [ProviderPreset.Hosted("toy-cloud", Host.AbsoluteUri, "TOY_API_KEY", "toy-1", "toy-2")];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => Known;

    /// <inheritdoc />
    public override Uri DefaultBaseUrl => Host;

    /// <summary><c>voice</c> is <c>normal</c>, <c>shout</c> or <c>whisper</c>; anything else is refused at load.</summary>
    public override Uri? CheckSettings(ProviderSettingsContext context)
    {
        if (context.Settings.TryGetValue("voice", out var voice) && voice is not ("normal" or "shout" or "whisper"))
        {
            context.Error($"settings.voice must be normal, shout or whisper, not '{voice}'");
        }

        return null;
    }

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new ToyAdapter();

    /// <inheritdoc />
    public override HttpMessageHandler CreateInProcessHandler(ProviderServices services) => new ToyHandler();
}

/// <summary>
/// The toy wire protocol. Request: <c>POST {base}/say</c>, body the last user message as plain text, headers
/// <c>x-toy-model</c>, <c>x-toy-voice</c>, <c>x-toy-prefix</c> (and <c>x-toy-key</c> when the provider has keys). Answer: <c>text/plain</c>, first line
/// <c>tokens IN OUT</c>, then the reply.
/// </summary>
internal static class ToyWire
{
    public const string Model = "x-toy-model";
    public const string Voice = "x-toy-voice";
    public const string Prefix = "x-toy-prefix";
    public const string Key = "x-toy-key";
}

/// <summary>Canonical chat ↔ the toy protocol. Text in, text out; anything else is refused, never dropped silently.</summary>
internal sealed class ToyAdapter : IProviderAdapter
{
    /// <inheritdoc />
    public string Protocol => "toy";

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream) =>
        throw new NotSupportedException("no client format speaks the toy protocol");

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        if (request.Stream)
        {
            throw new UnsupportedFeatureException("stream", "the toy protocol has no streams");
        }

        var last = request.Messages.LastOrDefault(m => m.Role == Role.User);
        var text = string.Concat(last?.Content.OfType<TextPart>().Select(p => p.Text) ?? []);
        var provider = deployment.Config.Provider;
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.BaseUrl, "/say"))
        {
            Content = new StringContent(text, Encoding.UTF8, "text/plain"),
        };
        message.Headers.Add(ToyWire.Model, deployment.Config.UpstreamModel);
        message.Headers.Add(ToyWire.Voice, provider.Setting("voice", "normal"));
        message.Headers.Add(ToyWire.Prefix, provider.Setting("prefix", ""));
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.Add(ToyWire.Key, lease.Key);
        }
        return new UpstreamRequest(message, []);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        var text = Encoding.UTF8.GetString(body);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var counts = text[..newline].Split(' ');
        var response = new ChatResponse { Id = "toy-" + deployment.Name, Model = deployment.Config.UpstreamModel, FinishReason = FinishReason.Stop };
        response.Content.Add(new TextPart(text[(newline + 1)..]));
        response.Usage.InputTokens = long.Parse(counts[1], System.Globalization.CultureInfo.InvariantCulture);
        response.Usage.OutputTokens = long.Parse(counts[2], System.Globalization.CultureInfo.InvariantCulture);
        return response;
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) =>
        throw new NotSupportedException("the toy protocol has no streams");

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        new(FailureClassifier.FromStatus(status), $"deployment '{deployment.Name}' returned HTTP {status}", status, null, body);
}

/// <summary>The toy upstream, in-process: says the text back in the requested voice, after the prefix; one token per word.</summary>
internal sealed class ToyHandler : HttpMessageHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath != "/say" || request.Content is null)
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
        }

        var text = await request.Content.ReadAsStringAsync(cancellationToken);
        var said = Header(request, ToyWire.Voice) switch
        {
            "shout" => text.ToUpperInvariant(),
            "whisper" => text.ToLowerInvariant(),
            _ => text,
        };
        var reply = Header(request, ToyWire.Prefix) + said;
        var body = $"tokens {Words(text)} {Words(reply)}\n{reply}";
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            RequestMessage = request,
            Content = new StringContent(body, Encoding.UTF8, "text/plain"),
        };
    }

    private static string Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Concat(values) : "";

    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}

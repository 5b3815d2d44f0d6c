using Switchyard.Providers.OpenAI;

namespace Switchyard.Providers.Echo;

/// <summary>
/// <c>kind: echo</c>: the built-in deterministic offline model. It speaks OpenAI's wire format, so requests
/// take the OpenAI adapter (and OpenAI clients the passthrough relay) like any real provider, but the
/// request is answered in-process by <see cref="EchoHandler"/> and never touches the network.
/// </summary>
public sealed class EchoProvider : ProviderDescriptor
{
    /// <summary>The kind name (also the preset recorded on the built-in echo provider).</summary>
    public const string KindName = "echo";

    /// <summary>A reserved (.invalid, RFC 2606) host: the echo provider never opens a connection.</summary>
    public static Uri BaseUrl { get; } = new("http://echo.switchyard.invalid/v1");

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override Uri DefaultBaseUrl => BaseUrl;

    /// <summary>The echo model costs nothing (<c>prices.json</c> beside this file), so its records say so instead of being unpriced.</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(EchoProvider).Assembly, typeof(EchoProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new OpenAIChatAdapter();

    /// <inheritdoc />
    public override HttpMessageHandler CreateInProcessHandler(ProviderServices services) => new EchoHandler(services.Time);
}

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// <c>kind: anthropic</c> (and <c>preset: anthropic</c>): the Anthropic Messages API. Anthropic clients are
/// relayed untranslated (<see cref="AnthropicPassthrough"/>); everything else is translated by <see cref="AnthropicAdapter"/>.
/// </summary>
public sealed class AnthropicProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "anthropic";

    private static readonly string[] Names = ["anthropic_version", "anthropic_beta"];

    private static readonly ProviderPreset[] Known =
    [
        ProviderPreset.Hosted("anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY",
            "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"),
    ];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string? ModelCatalog => "Anthropic";

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => Known;

    /// <summary>Anthropic's list prices (<c>prices.json</c> beside this file).</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(AnthropicProvider).Assembly, typeof(AnthropicProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new AnthropicAdapter();

    /// <inheritdoc />
    public override IPassthroughProtocol CreatePassthrough() => new AnthropicPassthrough();
}

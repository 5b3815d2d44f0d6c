namespace Switchyard.Providers.Vertex;

/// <summary>
/// <c>kind: vertex</c>: Google Vertex AI, for Gemini (<c>generateContent</c>) and Claude (<c>rawPredict</c>),
/// with OAuth2 tokens minted from a service-account key (<see cref="VertexAdapter"/>).
/// </summary>
public sealed class VertexProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "vertex";

    private static readonly string[] Names = ["project", "location", "credentials_file_env", "credentials_env", "token_url", "publisher"];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string? ModelCatalog => "Vertex";

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <summary>
    /// Vertex AI is served per location (https://cloud.google.com/vertex-ai/generative-ai/docs/learn/locations);
    /// the project and location are also part of every request path, so both are required even with a base_url,
    /// which otherwise follows from the location.
    /// </summary>
    public override Uri? CheckSettings(ProviderSettingsContext context)
    {
        Uri? baseUrl = null;
        context.Settings.TryGetValue("location", out var location);
        if (!context.Settings.ContainsKey("project") || location is null)
        {
            context.Error("vertex providers need settings.project and settings.location");
        }
        else if (location.Length == 0 || !location.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            context.Error("settings.location must be a Vertex AI location such as us-central1, the multi-regions us and eu, or global");
        }
        else
        {
            baseUrl = HostFor(location);
        }

        if (context.Settings.TryGetValue("publisher", out var publisher) && publisher is not ("google" or "anthropic"))
        {
            context.Error("settings.publisher must be 'google' or 'anthropic' (or left out: inferred from the model name)");
        }

        return baseUrl;
    }

    /// <summary>
    /// The endpoint of a location, from Google's locations documentation: the global endpoint, the multi-region
    /// endpoints (<c>us</c>, <c>eu</c>: <c>aiplatform.{us|eu}.rep.googleapis.com</c>, which keep processing inside
    /// the jurisdiction), and the regional ones (<c>{region}-aiplatform.googleapis.com</c>).
    /// </summary>
    internal static Uri HostFor(string location) => location switch
    {
        "global" => new Uri("https://aiplatform.googleapis.com"),
        "us" or "eu" => new Uri($"https://aiplatform.{location}.rep.googleapis.com"),
        _ => new Uri($"https://{location}-aiplatform.googleapis.com"),
    };

    /// <summary>Claude on Vertex AI (<c>prices.json</c> beside this file).</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(VertexProvider).Assembly, typeof(VertexProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new VertexAdapter(services.Time, services.Environment);
}

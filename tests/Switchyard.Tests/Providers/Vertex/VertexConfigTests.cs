using Switchyard.Configuration;
using Switchyard.Providers.Vertex;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary><c>kind: vertex</c> in the configuration file: settings, derived endpoint, validation.</summary>
public sealed class VertexConfigTests
{
    private static string Yaml(string settings, string? baseUrl = null) => $"""
        providers:
          gcp:
            kind: vertex
        {(baseUrl is null ? "" : $"    base_url: {baseUrl}\n")}    settings:
        {settings}
        deployments:
          flash: {"{"} provider: gcp, model: gemini-2.5-flash {"}"}
        models:
          flash: flash
        """;

    [Fact]
    public void TheEndpoint_FollowsTheLocation()
    {
        var config = LoadValid(Yaml("""
                  project: my-project
                  location: us-east5
                  credentials_env: GCP_SA_JSON
                  publisher: google
            """));

        var provider = config.Providers["gcp"];
        Assert.Equal(VertexProvider.KindName, provider.Kind);
        Assert.Equal(new Uri("https://us-east5-aiplatform.googleapis.com"), provider.BaseUrl);
        Assert.Equal("my-project", provider.Setting("project"));
        Assert.Equal("GCP_SA_JSON", provider.Setting("credentials_env"));
        Assert.Null(provider.ApiKey);
    }

    [Fact]
    public void TheGlobalLocation_HasNoRegionPrefix()
    {
        var config = LoadValid(Yaml("      project: p\n      location: global"));

        Assert.Equal(new Uri("https://aiplatform.googleapis.com"), config.Providers["gcp"].BaseUrl);
    }

    [Theory]
    [InlineData("us", "https://aiplatform.us.rep.googleapis.com")]
    [InlineData("eu", "https://aiplatform.eu.rep.googleapis.com")]
    [InlineData("europe-west4", "https://europe-west4-aiplatform.googleapis.com")]
    public void MultiRegions_UseTheirRepEndpoints(string location, string expected)
    {
        // Google's locations page: the multi-regions are served at aiplatform.{us|eu}.rep.googleapis.com, and
        // {location}-aiplatform.googleapis.com does not exist for them.
        var config = LoadValid(Yaml($"      project: p\n      location: {location}"));

        Assert.Equal(new Uri(expected), config.Providers["gcp"].BaseUrl);
    }

    [Fact]
    public void AnExplicitBaseUrl_Wins()
    {
        var config = LoadValid(Yaml("      project: p\n      location: us-central1\n      token_url: http://127.0.0.1:9/token", "http://127.0.0.1:8080"));

        Assert.Equal(new Uri("http://127.0.0.1:8080"), config.Providers["gcp"].BaseUrl);
        Assert.Equal("http://127.0.0.1:9/token", config.Providers["gcp"].Setting("token_url"));
    }

    [Theory]
    [InlineData("      project: p")]
    [InlineData("      location: us-east5")]
    public void ProjectAndLocation_AreRequired(string settings)
    {
        Assert.Equal("vertex providers need settings.project and settings.location", SingleErrorAt(Yaml(settings), "providers.gcp.settings"));
    }

    [Fact]
    public void ALocation_MustBeAHostLabel()
    {
        var message = SingleErrorAt(Yaml("      project: p\n      location: us east5"), "providers.gcp.settings");

        Assert.Contains("us-central1, the multi-regions us and eu, or global", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePublisher_IsGoogleOrAnthropic()
    {
        var message = SingleErrorAt(Yaml("      project: p\n      location: us-east5\n      publisher: meta"), "providers.gcp.settings");

        Assert.Contains("'google' or 'anthropic'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownSettings_ListTheValidOnes()
    {
        var message = SingleErrorAt(Yaml("      project: p\n      location: us-east5\n      region: us-east5"), "providers.gcp.settings.region");

        Assert.Contains("project, location, credentials_file_env, credentials_env, token_url, publisher", message, StringComparison.Ordinal);
    }
}

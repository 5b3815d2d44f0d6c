namespace Switchyard.Tests.Cache;

/// <summary>Small builders for the cache's unit tests.</summary>
internal static class CacheTestKit
{
    /// <summary>An OpenAI-compatible deployment named <c>d</c> (never called).</summary>
    public static DeploymentTarget Deployment(string model = "upstream-model")
    {
        var provider = new ProviderConfig("p", "openai-compatible", "openai-compatible", new Uri("http://127.0.0.1:1"), null, [], Timeouts.Default);
        return DeploymentTarget.Create(new DeploymentConfig("d", provider, model, Timeouts.Default));
    }
}

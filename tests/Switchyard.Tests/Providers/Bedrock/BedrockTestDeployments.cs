using Microsoft.Extensions.Time.Testing;
using Switchyard.Configuration;
using Switchyard.Providers.Bedrock;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.Bedrock;

/// <summary>Deployments, credentials and adapters for Bedrock unit tests.</summary>
internal static class BedrockTestDeployments
{
    /// <summary>The default model: a Claude id with the ':' that SigV4 path encoding must handle.</summary>
    public const string ClaudeModel = "anthropic.claude-3-5-sonnet-20240620-v1:0";

    /// <summary>AWS's documentation example credentials.</summary>
    public static readonly AwsCredentials ExampleCredentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    /// <summary>A fixed signing instant (the SigV4 test suite's).</summary>
    public static readonly DateTimeOffset SigningTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    /// <summary>A Bedrock deployment of <paramref name="model"/>.</summary>
    public static DeploymentTarget Deployment(string model = ClaudeModel, string? baseUrl = null, Dictionary<string, string>? settings = null,
        string? apiKey = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var provider = new ProviderConfig("aws", BedrockProvider.KindName, "bedrock", new Uri(baseUrl ?? "https://bedrock-runtime.us-east-1.amazonaws.com"),
            apiKey, headers ?? [], Timeouts.Default)
        {
            Settings = settings ?? new Dictionary<string, string> { ["region"] = "us-east-1" },
        };
        return DeploymentTarget.Create(new DeploymentConfig("bedrock-test", provider, model, Timeouts.Default));
    }

    /// <summary>An adapter with a fixed clock, the example credentials in its environment and counting ids.</summary>
    public static BedrockAdapter Adapter(Dictionary<string, string>? environment = null)
    {
        var env = environment ?? new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = ExampleCredentials.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = ExampleCredentials.SecretAccessKey,
        };
        var ids = 0;
        return new BedrockAdapter(new FakeTimeProvider(SigningTime), name => env.GetValueOrDefault(name), () => $"bedrock-test-{++ids}");
    }
}

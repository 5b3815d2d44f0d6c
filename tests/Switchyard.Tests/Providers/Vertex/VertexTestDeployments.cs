using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Providers.Vertex;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary>Deployments and requests for Vertex unit tests.</summary>
internal static class VertexTestDeployments
{
    public const string GeminiModel = "gemini-2.5-flash";
    public const string ClaudeModel = "claude-sonnet-4@20250514";

    /// <summary>The settings of a provider in project <c>test-project</c>, location <c>us-east5</c>, plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, string> Settings(params (string Name, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["project"] = "test-project", ["location"] = "us-east5" };
        foreach (var (name, value) in extra)
        {
            settings[name] = value;
        }

        return settings;
    }

    /// <summary>A provider as the binder makes it.</summary>
    public static ProviderConfig Provider(Dictionary<string, string>? settings = null, string baseUrl = "https://us-east5-aiplatform.googleapis.com",
        string? apiKey = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null, string name = "vertex") =>
        new(name, VertexProvider.KindName, "vertex", new Uri(baseUrl), apiKey, headers ?? [], Timeouts.Default) { Settings = settings ?? Settings() };

    /// <summary>A deployment of <paramref name="model"/> on <paramref name="provider"/> (a new target each call, as after a reload).</summary>
    public static DeploymentTarget Deployment(string model = GeminiModel, ProviderConfig? provider = null) =>
        DeploymentTarget.Create(new DeploymentConfig("vertex-" + model, provider ?? Provider(), model, Timeouts.Default));

    /// <summary>A one-message request.</summary>
    public static ChatRequest Hello(bool stream = false)
    {
        var request = new ChatRequest { Model = "alias", Stream = stream };
        var message = new Message(Role.User);
        message.Content.Add(new TextPart("hello"));
        request.Messages.Add(message);
        return request;
    }

    /// <summary>An environment lookup over fixed values.</summary>
    public static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }
}

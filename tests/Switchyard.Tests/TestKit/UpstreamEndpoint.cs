namespace Switchyard.Tests.TestKit;

/// <summary>
/// The OpenAI endpoints the fake upstream can be scripted for. Each endpoint has its own behaviour queue and
/// default, so scripting a chat failure never leaks into an embeddings call made by the same test.
/// </summary>
public enum UpstreamEndpoint
{
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary><c>POST /v1/embeddings</c>.</summary>
    Embeddings,

    /// <summary><c>GET /v1/models</c>.</summary>
    Models,

    /// <summary><c>POST /v1/moderations</c>.</summary>
    Moderations,
}

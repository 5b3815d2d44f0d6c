using Switchyard.Configuration;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Providers.Gemini;

/// <summary>
/// Golden tests of both Gemini directions. <b>Outbound</b>: an OpenAI Chat client routed to a Gemini deployment
/// (OpenAI request → Gemini request; Gemini answer, stream and errors → OpenAI). <b>Inbound</b>: a Gemini client
/// routed to an OpenAI deployment (Gemini request → OpenAI request; OpenAI answer, stream and errors → Gemini).
/// </summary>
public sealed class GeminiGoldenTests
{
    private static readonly (string, string)[] Steps =
    [
        ("client-request.json", "request"),
        ("upstream-response.json", "response"),
        ("upstream-stream.sse", "stream"),
        ("upstream-error.json", "error"),
    ];

    private static readonly GoldenHarness Outbound = new("Outbound", new OpenAIChatFormat(), new GeminiAdapter(),
        GoldenHarness.Deployment("google", GeminiProvider.KindName, "https://generativelanguage.googleapis.com/v1beta", "AIza-test-key", "gemini-2.5-flash"));

    private static readonly GoldenHarness Inbound = new("Inbound", new GeminiFormat(), new OpenAIChatAdapter(),
        GoldenHarness.Deployment("openai", OpenAICompatibleProvider.KindName, "https://api.openai.com/v1", "sk-test", "gpt-4o-mini"));

    public static TheoryData<string, string> OutboundCases => GoldenFiles.Cases("Outbound", Steps);

    public static TheoryData<string, string> InboundCases => GoldenFiles.Cases("Inbound", Steps);

    [Theory]
    [MemberData(nameof(OutboundCases))]
    public void OpenAIClient_GeminiUpstream(string name, string step) => Run(Outbound, name, step);

    [Theory]
    [MemberData(nameof(InboundCases))]
    public void GeminiClient_OpenAIUpstream(string name, string step) => Run(Inbound, name, step);

    private static void Run(GoldenHarness harness, string name, string step)
    {
        switch (step)
        {
            case "request":
                GoldenFiles.Match(harness.Direction, name, "upstream-request.json", harness.Request(name));
                break;
            case "response":
                GoldenFiles.Match(harness.Direction, name, "client-response.json", harness.Response(name));
                break;
            case "error":
                GoldenFiles.Match(harness.Direction, name, "client-error.json", harness.Error(name));
                break;
            case "stream":
                // Decoding must not depend on how the bytes were split across reads.
                var events = harness.DecodedEvents(name, 0);
                Assert.Equal(events, harness.DecodedEvents(name, 7));
                Assert.Equal(events, harness.DecodedEvents(name, 1));
                GoldenFiles.Match(harness.Direction, name, "client-stream.sse", harness.Stream(name));
                break;
        }
    }
}

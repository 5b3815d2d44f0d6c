using System.Text;
using System.Text.Json;
using Switchyard.Tests.TestKit.Gemini;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>An Anthropic client streamed from a Gemini deployment: usage reaches the event where clients read it.</summary>
[Collection(GeminiGatewayCollection.Name)]
public sealed class AnthropicClientToGeminiTests(GeminiGatewayFixture f)
{
    [Fact]
    public async Task Stream_MessageStartCarriesTheInputTokensOfGeminisFirstFrame()
    {
        // LangChain (and others) read input tokens only from message_start; Gemini reports them in its first frame.
        f.Gemini.Enqueue(GeminiReply.Text("three chunk answer", chunks: 3, usage: new GeminiUsage(17, 5)));
        using var request = new HttpRequestMessage(HttpMethod.Post, f.Url("/v1/messages"))
        {
            Content = new StringContent("""{"model":"flash","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", GeminiGatewayFixture.ClientKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await f.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        var first = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.StartsWith("event: message_start", first, StringComparison.Ordinal);
        using var start = JsonDocument.Parse(first[(first.IndexOf("data: ", StringComparison.Ordinal) + 6)..]);
        Assert.Equal(17, start.RootElement.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Contains("event: message_stop", body, StringComparison.Ordinal);
    }
}

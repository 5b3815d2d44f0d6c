using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Ingress;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Providers;

public class OpenAIBodyRewriterTests
{
    private static string Rewrite(string json, string model)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(OpenAIRequestParser.Parse(bytes, Operation.ChatCompletions, out var request));
        var encoded = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(model, Switchyard.Tests.TestJson.Default.String));
        var buffer = OpenAIBodyRewriter.Rewrite(bytes, request, encoded, out var length);
        try
        {
            var result = Encoding.UTF8.GetString(buffer, 0, length);
            using var _ = JsonDocument.Parse(result); // always valid JSON
            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [Fact]
    public void Rewrite_NonStream_ReplacesOnlyTheModel()
    {
        const string json = """{ "model" : "alias",  "messages":[{"role":"user","content":"model \"alias\""}], "x_unknown": 1 }""";
        Assert.Equal("""{ "model" : "gpt-4o-mini",  "messages":[{"role":"user","content":"model \"alias\""}], "x_unknown": 1 }""", Rewrite(json, "gpt-4o-mini"));
    }

    [Fact]
    public void Rewrite_StreamWithoutOptions_AddsIncludeUsage()
    {
        Assert.Equal(
            """{"model":"up","messages":[],"stream":true,"stream_options":{"include_usage":true}}""",
            Rewrite("""{"model":"alias","messages":[],"stream":true}""", "up"));
    }

    [Fact]
    public void Rewrite_StreamOptionsBeforeModel_SplicesBothInOrder()
    {
        Assert.Equal(
            """{"stream_options":{"include_usage":true},"stream":true,"messages":[],"model":"up/model"}""",
            Rewrite("""{"stream_options":{"include_usage":false},"stream":true,"messages":[],"model":"a"}""", "up/model"));
    }

    [Fact]
    public void Rewrite_StreamOptionsNull_BecomesIncludeUsage()
    {
        Assert.Equal(
            """{"model":"m2","stream":true,"stream_options":{"include_usage":true},"messages":[]}""",
            Rewrite("""{"model":"m","stream":true,"stream_options":null,"messages":[]}""", "m2"));
    }

    [Fact]
    public void Rewrite_ClientAlreadyAsksForUsage_LeavesOptionsAlone()
    {
        const string json = """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""";
        Assert.Equal(json.Replace("\"m\"", "\"n\""), Rewrite(json, "n"));
    }

    [Fact]
    public void Rewrite_ModelNeedingEscapes_IsEncoded()
    {
        var result = Rewrite("""{"model":"m","messages":[]}""", "we\"ird\\name");
        using var doc = JsonDocument.Parse(result);
        Assert.Equal("we\"ird\\name", doc.RootElement.GetProperty("model").GetString());
    }
}

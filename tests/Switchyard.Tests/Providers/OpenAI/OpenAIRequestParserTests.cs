using System.Text;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Ingress;

public class OpenAIRequestParserTests
{
    private static (RequestError? Error, RequestHead Request) Parse(string json, Operation op = Operation.ChatCompletions)
    {
        var error = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes(json), op, out var request);
        return (error, request);
    }

    [Fact]
    public void Parse_ValidChat_ReadsModelStreamAndOffsets()
    {
        const string json = """{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}""";
        var (error, r) = Parse(json);

        Assert.Null(error);
        Assert.Equal("gpt-4o", r.Model);
        Assert.True(r.Stream);
        Assert.True(r.ClientWantsUsage);
        Assert.Equal("\"gpt-4o\"", json.Substring(r.ModelStart, r.ModelLength));
        Assert.Equal("{\"include_usage\":true}", json.Substring(r.StreamOptionsStart, r.StreamOptionsLength));
        Assert.Equal(json.Length - 1, r.RootEnd);
    }

    [Fact]
    public void Parse_IncludeUsageFalse_ClientDoesNotWantUsage()
    {
        var (error, r) = Parse("""{"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":false}}""");
        Assert.Null(error);
        Assert.False(r.ClientWantsUsage);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[""", "invalid_json", null)]
    [InlineData("""[1,2]""", "invalid_request_body", null)]
    [InlineData("""{"model":"m","messages":[]}{}""", "invalid_json", null)]
    [InlineData("""{"messages":[]}""", "missing_required_parameter", "model")]
    [InlineData("""{"model":"","messages":[]}""", "invalid_value", "model")]
    [InlineData("""{"model":42,"messages":[]}""", "invalid_type", "model")]
    [InlineData("""{"model":"m"}""", "missing_required_parameter", "messages")]
    [InlineData("""{"model":"m","messages":"hi"}""", "invalid_type", "messages")]
    [InlineData("""{"model":"m","messages":[],"stream":"yes"}""", "invalid_type", "stream")]
    [InlineData("""{"model":"m","messages":[],"max_tokens":"10"}""", "invalid_type", "max_tokens")]
    [InlineData("""{"model":"m","messages":[],"max_tokens":0}""", "invalid_type", "max_tokens")]
    [InlineData("""{"model":"m","messages":[],"temperature":"hot"}""", "invalid_type", "temperature")]
    [InlineData("""{"model":"m","messages":[],"stream_options":true}""", "invalid_type", "stream_options")]
    [InlineData("""{"model":"m","messages":[],"stream_options":{"include_usage":1}}""", "invalid_type", "stream_options.include_usage")]
    public void Parse_BadChatBody_NamesTheProblem(string json, string code, string? param)
    {
        var (error, _) = Parse(json);
        Assert.NotNull(error);
        Assert.Equal(code, error.Value.Code);
        Assert.Equal(param, error.Value.Param);
        Assert.False(string.IsNullOrWhiteSpace(error.Value.Message));
    }

    [Fact]
    public void Parse_Embeddings_RequiresInputAndRefusesStream()
    {
        Assert.Equal("input", Parse("""{"model":"e"}""", Operation.Embeddings).Error?.Param);
        Assert.Equal("stream", Parse("""{"model":"e","input":"x","stream":true}""", Operation.Embeddings).Error?.Param);
        Assert.Null(Parse("""{"model":"e","input":["a","b"]}""", Operation.Embeddings).Error);
    }

    [Fact]
    public void Parse_NestedModelField_IsNotMistakenForTopLevel()
    {
        var (error, r) = Parse("""{"messages":[{"role":"user","content":"x","model":"inner"}],"metadata":{"model":"meta"},"model":"outer"}""");
        Assert.Null(error);
        Assert.Equal("outer", r.Model);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Providers.Gemini;

namespace Switchyard.Tests.Providers.Gemini;

/// <summary>
/// Veo's translation, pure: OpenAI's create body to <c>:predictLongRunning</c> (sizes to aspect ratio and resolution,
/// the seconds always sent, anything Veo cannot honour refused by name) and a long-running operation to the job's state
/// (not done, done with a video, done with an error, done with every sample withheld by the safety filter).
/// </summary>
public sealed class GeminiVeoTests
{
    private static JsonNode Translate(string request, int seconds)
    {
        using var doc = JsonDocument.Parse(request);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            GeminiVeo.Write(w, doc.RootElement, seconds, form: null);
        }

        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    private static VideoState State(string operation)
    {
        using var doc = JsonDocument.Parse(operation);
        return GeminiVeo.State(doc.RootElement);
    }

    [Theory]
    [InlineData("1280x720", "16:9", "720p")]
    [InlineData("720x1280", "9:16", "720p")]
    [InlineData("1920x1080", "16:9", "1080p")]
    [InlineData("1080x1920", "9:16", "1080p")]
    public void Write_MapsTheSize_AndSendsTheSeconds(string size, string ratio, string resolution)
    {
        var body = Translate($$$"""{"model":"veo","prompt":"p","seconds":"6","size":"{{{size}}}"}""", 6);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"instances":[{"prompt":"p"}],"parameters":{"durationSeconds":6,"aspectRatio":"{{{ratio}}}","resolution":"{{{resolution}}}"}}
            """), body));
    }

    [Theory]
    [InlineData("""{"model":"veo","prompt":"p","size":"1792x1024"}""", "size")]
    [InlineData("""{"model":"veo","prompt":"p","quality":"hd"}""", "quality")]
    [InlineData("""{"model":"veo","prompt":"p","remix_video_id":"v"}""", "remix_video_id")]
    public void Write_RefusesWhatVeoCannotDo_ByName(string request, string field)
    {
        var refused = Assert.Throws<UnsupportedFeatureException>(() => Translate(request, 4));

        Assert.Equal(field, refused.Field);
    }

    [Fact]
    public void State_NotDone_IsInProgress()
    {
        Assert.Equal("in_progress", State("""{"name":"models/veo/operations/1"}""").Status);
        Assert.Equal("in_progress", State("""{"name":"models/veo/operations/1","done":false}""").Status);
    }

    [Fact]
    public void State_DoneWithAVideo_IsCompleted_WithItsFileUri()
    {
        var state = State("""
            {"name":"n","done":true,"response":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
             "generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"}}]}}}
            """);

        Assert.Equal(("completed", 100, "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"), (state.Status, state.Progress, state.ContentUri));
    }

    [Fact]
    public void State_DoneWithAnError_IsFailed_WithItsStatusAndMessage()
    {
        var state = State("""{"name":"n","done":true,"error":{"code":3,"message":"bad prompt","status":"INVALID_ARGUMENT"}}""");

        Assert.Equal(("failed", "INVALID_ARGUMENT", "bad prompt"), (state.Status, state.ErrorCode, state.ErrorMessage));
    }

    [Fact]
    public void State_EverySampleFiltered_IsFailed_WithTheReasons()
    {
        var state = State("""
            {"name":"n","done":true,"response":{"generateVideoResponse":{"raiMediaFilteredCount":1,"raiMediaFilteredReasons":["Unsafe content."]}}}
            """);

        Assert.Equal(("failed", "content_filtered", "Unsafe content."), (state.Status, state.ErrorCode, state.ErrorMessage));
    }
}

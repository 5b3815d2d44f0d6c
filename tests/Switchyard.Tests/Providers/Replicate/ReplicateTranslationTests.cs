using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Providers.Replicate;

namespace Switchyard.Tests.Providers.Replicate;

/// <summary>
/// The pure parts of the Replicate kind: an OpenAI image request as a prediction's input, a deployment model as its
/// create path, and prediction objects (create, poll and webhook bodies) as jobs.
/// </summary>
public sealed class ReplicateTranslationTests
{
    [Fact]
    public void Input_OpenAIFields_InFluxNames()
    {
        Assert.Equal("""{"input":{"prompt":"a cat","num_outputs":3,"aspect_ratio":"2:3","output_format":"jpg","output_quality":70}}""",
            Input("""{"model":"flux","prompt":"a cat","n":3,"size":"1024x1536","output_format":"jpeg","output_compression":70,"user":"u","response_format":"b64_json","quality":"auto"}"""));
    }

    [Theory]
    [InlineData("""{"prompt":"x","style":"vivid"}""", "style")]
    [InlineData("""{"prompt":"x","size":"640x480"}""", "size")]
    [InlineData("""{"prompt":"x","quality":"hd"}""", "quality")]
    [InlineData("""{"prompt":"x","output_format":"gif"}""", "output_format")]
    [InlineData("""{"prompt":"x","background":"transparent"}""", "background")]
    public void Input_NoEquivalent_RefusedByName(string request, string field)
    {
        var refused = Assert.Throws<UnsupportedFeatureException>(() => Input(request));

        Assert.Equal(field, refused.Field);
    }

    [Theory]
    [InlineData("black-forest-labs/flux-schnell", "models/black-forest-labs/flux-schnell/predictions", null)]
    [InlineData("stability-ai/sdxl:7762fd07cf82c948", "predictions", "7762fd07cf82c948")]
    public void Target_OfficialOrVersion(string model, string path, string? version)
    {
        Assert.Equal((path, version), ReplicateImages.Target(model));
    }

    [Theory]
    [InlineData("flux-schnell")]
    [InlineData("a/b/c")]
    [InlineData("/name")]
    public void Target_NotOwnerSlashName_Refused(string model)
    {
        Assert.Equal("model", Assert.Throws<UnsupportedFeatureException>(() => ReplicateImages.Target(model)).Field);
    }

    [Fact]
    public void Prediction_SucceededWithOneUrl_OutputsAndPredictTime()
    {
        var job = ReplicatePrediction.Read("""{"id":"p9","status":"succeeded","output":"https://replicate.delivery/x.png","error":null,"metrics":{"predict_time":1.25}}"""u8);

        Assert.Equal(("p9", JobPhase.Succeeded, 1.25), (job.Id, job.Phase, job.Seconds));
        Assert.Equal(["https://replicate.delivery/x.png"], job.Outputs);
    }

    [Fact]
    public void Prediction_RunningOrFailed_NoOutputs_ErrorKept()
    {
        var running = ReplicatePrediction.Read("""{"id":"p1","status":"processing","output":["partial"],"metrics":{}}"""u8);
        var failed = ReplicatePrediction.Read("""{"id":"p2","status":"failed","output":null,"error":"CUDA out of memory"}"""u8);

        Assert.Equal((JobPhase.Running, 0), (running.Phase, running.Outputs.Count));
        Assert.Equal((JobPhase.Failed, "CUDA out of memory", true), (failed.Phase, failed.Error, failed.IsFinal));
    }

    [Fact]
    public void Prediction_UnknownStatus_NotAJob()
    {
        Assert.Throws<JsonException>(() => ReplicatePrediction.Read("""{"id":"p3","status":"paused"}"""u8));
    }

    private static string Input(string request)
    {
        using var doc = JsonDocument.Parse(request);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            ReplicateInput.Write(w, doc.RootElement);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

using System.Net;
using System.Net.Http.Headers;
using OpenAI.Audio;
using Switchyard.Tests.TestKit.Media;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// <c>/v1/audio/speech</c>, <c>/v1/audio/transcriptions</c> and <c>/v1/audio/translations</c> through the official
/// OpenAI SDK's audio client: speech relayed as it arrives (the client reads the first chunk while the upstream still
/// holds the rest) and costed per character, uploads relayed from their spool, transcripts costed per second.
/// </summary>
public sealed class AudioTests(MediaGateway m) : IClassFixture<MediaGateway>
{
    private AudioClient Client(string model) => new(model, MediaGateway.Key, m.H.SdkOptions());

    [Fact]
    public async Task Speech_ViaSdk_AudioBytes_FallbackBeforeCommit_CostPerCharacter()
    {
        var result = await Client("tts-1").GenerateSpeechAsync("Hello there", GeneratedSpeechVoice.Alloy);

        Assert.Equal(FakeMediaUpstream.SpeechChunks.SelectMany(c => c).ToArray(), result.Value.ToArray());
        var sent = m.Received("/openai/v1/audio/speech").Last().Json;
        Assert.Equal(("tts-1", "alloy"), (sent["model"]!.GetValue<string>(), sent["voice"]!.GetValue<string>()));
        var record = await m.RecordOf(result);
        Assert.Equal(("audio.speech", "tts", 2), (record.Operation, record.FinalDeployment, record.Attempts)); // tts-down refused the connection first
        Assert.Equal(11 * 15, record.CostMicros); // 11 characters at $15 per million
    }

    [Fact]
    public async Task Speech_RelayedAsItArrives_NotBufferedWhole()
    {
        m.Fake.HoldSpeech();
        using var response = await m.H.SendAsync(m.H.Post("/v1/audio/speech", """{"model":"tts-1","input":"Stream me","voice":"nova"}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = FakeMediaUpstream.SpeechChunks[0];
        var buffer = new byte[first.Length];
        using (var bounded = new CancellationTokenSource(GatewayHarness.Bound))
        {
            await body.ReadExactlyAsync(buffer, bounded.Token); // arrives while the upstream is still held after its first chunk
        }

        Assert.Equal(first, buffer);
        m.Fake.ReleaseSpeech();
        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        Assert.Equal(FakeMediaUpstream.SpeechChunks.Skip(1).SelectMany(c => c).ToArray(), rest.ToArray());
        Assert.Equal(9 * 15, (await m.RecordOf(response)).CostMicros);
    }

    [Fact]
    public async Task Transcription_ViaSdk_UploadRelayed_CostPerSecond()
    {
        var audio = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();

        var result = await Client("whisper-1").TranscribeAudioAsync(new MemoryStream(audio), "speech.mp3",
            new AudioTranscriptionOptions { Language = "en" });

        Assert.Equal("heard 3000 bytes of speech.mp3", result.Value.Text);
        var sent = m.Received("/openai/v1/audio/transcriptions").Single(r => r.Fields.GetValueOrDefault("language") == "en");
        Assert.Equal("whisper-1", sent.Fields["model"]);
        Assert.Equal(audio, Assert.Single(sent.Files).Bytes);
        var record = await m.RecordOf(result);
        Assert.Equal(("audio.transcriptions", 3000L), (record.Operation, record.CostMicros)); // 30 s at $0.0001 a second
    }

    [Fact]
    public async Task Transcription_VerboseJson_DurationCosted()
    {
        var result = await Client("whisper-1").TranscribeAudioAsync(new MemoryStream([1, 2, 3]), "a.wav",
            new AudioTranscriptionOptions { ResponseFormat = AudioTranscriptionFormat.Verbose });

        Assert.Equal(TimeSpan.FromSeconds(42.5), result.Value.Duration);
        Assert.Equal(4250, (await m.RecordOf(result)).CostMicros);
    }

    [Fact]
    public async Task Translation_ViaSdk_TextBack()
    {
        var result = await Client("whisper-1").TranslateAudioAsync(new MemoryStream([9, 9, 9, 9]), "french.m4a");

        Assert.Equal("heard 4 bytes of french.m4a", result.Value.Text);
        var record = await m.RecordOf(result);
        Assert.Equal(("audio.translations", "whisper"), (record.Operation, record.FinalDeployment));
    }

    [Fact]
    public async Task Transcription_TextFormat_RelayedAsText()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("whisper-1"), "model" },
            { new StringContent("text"), "response_format" },
        };
        var file = new ByteArrayContent([1, 2, 3, 4, 5]);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "clip.wav");
        using var request = new HttpRequestMessage(HttpMethod.Post, m.H.Url("/v1/audio/transcriptions")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);

        using var response = await m.H.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("heard 5 bytes of clip.wav", await response.Content.ReadAsStringAsync());
        var sent = m.Received("/openai/v1/audio/transcriptions").Single(r => r.Files.Any(f => f.FileName == "clip.wav"));
        Assert.Equal("audio/wav", sent.Files[0].ContentType);
    }

    [Fact]
    public async Task Speech_MissingVoice_400BeforeAnyCall()
    {
        var before = m.Received("/audio/speech").Count;
        using var response = await m.H.SendAsync(m.H.Post("/v1/audio/speech", """{"model":"tts-1","input":"hi"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'voice'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, m.Received("/audio/speech").Count);
    }
}

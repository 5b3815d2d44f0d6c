using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI;
using Switchyard.Providers.OpenAI.Responses;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>
/// Golden files for the Responses format, byte for byte (JSON compared after indenting both sides):
/// <c>X.request.json</c> → canonical → <c>X.upstream-request.json</c> (what the OpenAI Chat adapter sends);
/// <c>X.upstream-response.json</c> → <c>X.response.json</c>; <c>X.upstream.sse</c> → <c>X.response.sse</c>
/// (decoded by the OpenAI chunk decoder and encoded as the translated stream path does).
/// Set <c>SWITCHYARD_UPDATE_GOLDEN=1</c> to rewrite the expected files in the source tree, then review the diff.
/// </summary>
public sealed class ResponsesGoldenTests
{
    /// <summary>Upstream model the goldens are rendered with.</summary>
    private const string UpstreamModel = "gpt-4o-mini";

    private static readonly OpenAIResponsesFormat Format = new();
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static TheoryData<string> Requests() => Cases(".request.json");

    public static TheoryData<string> Responses() => Cases(".upstream-response.json");

    public static TheoryData<string> Streams() => Cases(".upstream.sse");

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_TranslatesToChatCompletionsRequest(string name)
    {
        var error = Format.Parse(Read(name + ".request.json"), new DefaultHttpContext(), out var request);
        Assert.Null(error);

        var buffer = new ArrayBufferWriter<byte>();
        var dropped = new List<string>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            OpenAIChatRequestWriter.Write(w, request, UpstreamModel, dropped);
        }

        Assert.All(dropped, d => Assert.Equal("thinking", d)); // reasoning items have no Chat equivalent; nothing else may be lost
        Check(name + ".upstream-request.json", Indent(buffer.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void Response_TranslatesToResponseObject(string name)
    {
        using var doc = JsonDocument.Parse(Read(name + ".upstream-response.json"));
        var answer = OpenAIChatResponses.Read(doc.RootElement);
        var buffer = new ArrayBufferWriter<byte>();
        Format.WriteResponse(answer, UpstreamModel, buffer);
        Check(name + ".response.json", Indent(buffer.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Stream_TranslatesToResponsesEvents(string name)
    {
        var sse = ResponsesStreamHarness.Translate(Format, Read(name + ".upstream.sse"), UpstreamModel);
        Check(name + ".response.sse", sse);
        ResponsesStreamHarness.AssertWellFormed(sse);
    }

    private static TheoryData<string> Cases(string suffix)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(GoldenDirectory(), "*" + suffix).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file)[..^suffix.Length]);
        }

        return data;
    }

    private static byte[] Read(string file) => File.ReadAllBytes(Path.Combine(GoldenDirectory(), file));

    private static string GoldenDirectory() => Path.Combine(AppContext.BaseDirectory, "Providers", "OpenAIResponses", "Golden");

    private static string Indent(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Indented))
        {
            doc.RootElement.WriteTo(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void Check(string file, string actual, [CallerFilePath] string source = "")
    {
        if (Environment.GetEnvironmentVariable("SWITCHYARD_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(source)!, "Golden", file), actual);
            return;
        }

        var path = Path.Combine(GoldenDirectory(), file);
        Assert.True(File.Exists(path), $"missing golden file {file}; run with SWITCHYARD_UPDATE_GOLDEN=1 to create it");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.Equal(expected, actual);
    }
}

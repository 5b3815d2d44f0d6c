#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenAI.Responses;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>
/// Every golden answer and stream must be consumable by the official OpenAI .NET SDK: its Responses client reads
/// each file from a stub transport, and every event must map to a public, typed update (not an unknown one).
/// </summary>
public sealed class ResponsesSdkCompatibilityTests
{
    public static TheoryData<string> Responses() => GoldenFiles(".response.json");

    public static TheoryData<string> Streams() => GoldenFiles(".response.sse");

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task GoldenResponse_ParsesInTheSdk(string file)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(GoldenDirectory(), file));
        using var golden = JsonDocument.Parse(bytes);

        ResponseResult response = await Client(bytes, "application/json").CreateResponseAsync("m", "x");

        var root = golden.RootElement;
        Assert.Equal(root.GetProperty("id").GetString(), response.Id);
        Assert.Equal(root.GetProperty("status").GetString(), Status(response.Status));
        Assert.Equal(root.GetProperty("output").GetArrayLength(), response.OutputItems.Count);
        Assert.Equal(root.GetProperty("usage").GetProperty("total_tokens").GetInt32(), response.Usage.TotalTokenCount);
        Assert.Equal(root.GetProperty("usage").GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32(),
            response.Usage.InputTokenDetails.CachedTokenCount);
        if (root.GetProperty("incomplete_details").ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(root.GetProperty("incomplete_details").GetProperty("reason").GetString(), response.IncompleteStatusDetails.Reason.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task GoldenStream_ParsesInTheSdk(string file)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(GoldenDirectory(), file));
        var expected = ResponsesStreamHarness.Parse(text);

        var updates = new List<StreamingResponseUpdate>();
        await foreach (var update in await Client(System.Text.Encoding.UTF8.GetBytes(text), "text/event-stream").CreateResponseStreamingAsync("m", "x"))
        {
            updates.Add(update);
        }

        Assert.Equal(expected.Count, updates.Count);
        Assert.All(updates, u => Assert.True(u.GetType().IsPublic, $"{u.GetType().Name} is not a typed update"));
        Assert.Equal(expected.Select(e => e.Data.GetProperty("sequence_number").GetInt32()), updates.Select(u => u.SequenceNumber));
        var last = updates[^1] switch
        {
            StreamingResponseCompletedUpdate c => c.Response,
            StreamingResponseIncompleteUpdate i => i.Response,
            StreamingResponseFailedUpdate f => f.Response,
            var other => throw new Xunit.Sdk.XunitException($"stream ended with {other.GetType().Name}"),
        };
        Assert.Equal(expected[^1].Data.GetProperty("response").GetProperty("output").GetArrayLength(), last.OutputItems.Count);
    }

    private static string Status(ResponseStatus? status) => status switch
    {
        ResponseStatus.Completed => "completed",
        ResponseStatus.Incomplete => "incomplete",
        ResponseStatus.Failed => "failed",
        _ => status?.ToString() ?? "null",
    };

    private static ResponsesClient Client(byte[] body, string contentType) =>
        new(new ApiKeyCredential("k"), new ResponsesClientOptions
        {
            Endpoint = new Uri("http://stub.invalid/v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(new StubHandler(body, contentType))),
            RetryPolicy = new ClientRetryPolicy(0),
        });

    private static TheoryData<string> GoldenFiles(string suffix)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(GoldenDirectory(), "*" + suffix).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    private static string GoldenDirectory() => Path.Combine(AppContext.BaseDirectory, "Providers", "OpenAIResponses", "Golden");

    /// <summary>Answers every request with one fixed body.</summary>
    private sealed class StubHandler(byte[] body, string contentType) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(body) };
            response.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            return Task.FromResult(response);
        }
    }
}

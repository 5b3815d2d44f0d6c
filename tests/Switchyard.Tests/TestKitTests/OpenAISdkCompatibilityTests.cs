using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>
/// The official OpenAI .NET SDK must be able to consume everything the fake sends: if its strict deserializers accept
/// our JSON and SSE, the wire format is right (and gateway tests written against the fake mean something).
/// </summary>
public sealed class OpenAISdkCompatibilityTests
{
    [Fact]
    public async Task NonStreamingText()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Text("Hi from the fake", usage: new FakeUsage(21, 9) { CachedTokens = 4, ReasoningTokens = 2 }));

        ChatCompletion completion = await Chat(fake).CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("Hi from the fake", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
        Assert.Equal(21, completion.Usage.InputTokenCount);
        Assert.Equal(9, completion.Usage.OutputTokenCount);
        Assert.Equal(30, completion.Usage.TotalTokenCount);
        Assert.Equal(4, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(2, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal("Bearer k", fake.LastRequest!.Authorization);
    }

    [Fact]
    public async Task StreamingText()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Text("Streaming works, ünïcode too 🎉", chunks: 5) with { Usage = new FakeUsage(11, 6) });

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(fake).CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Streaming works, ünïcode too 🎉", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(fake.LastRequest!.IsStream);
        Assert.True(fake.LastRequest.IncludeUsage); // the SDK always asks for usage when streaming
        Assert.NotNull(usage);
        Assert.Equal(11, usage.InputTokenCount);
        Assert.Equal(6, usage.OutputTokenCount);
    }

    [Fact]
    public async Task NonStreamingToolCalls()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.ToolCalls(
            new FakeToolCall("get_weather", """{"city":"Paris"}""") { Id = "call_w" },
            new FakeToolCall("get_time", """{"tz":"CET"}""")));

        ChatCompletion completion = await Chat(fake).CompleteChatAsync([new UserChatMessage("weather and time?")]);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Empty(completion.Content);
        Assert.Equal(2, completion.ToolCalls.Count);
        Assert.Equal("call_w", completion.ToolCalls[0].Id);
        Assert.Equal("get_weather", completion.ToolCalls[0].FunctionName);
        Assert.Equal("""{"city":"Paris"}""", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal("get_time", completion.ToolCalls[1].FunctionName);
        Assert.StartsWith("call_", completion.ToolCalls[1].Id);
    }

    [Fact]
    public async Task StreamingParallelToolCalls()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.ToolCalls(
            new FakeToolCall("get_weather", """{"city":"Paris","unit":"celsius"}""") { FragmentCount = 4 },
            FakeToolCall.Fragmented("get_time", "{\"tz\":", "\"CET\"}")));

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(fake).CompleteChatStreamingAsync([new UserChatMessage("weather and time?")]))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                }

                if (call.FunctionName is { } name)
                {
                    names[call.Index] = name;
                }

                if (!arguments.TryGetValue(call.Index, out var builder))
                {
                    arguments[call.Index] = builder = new StringBuilder();
                }

                builder.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0, 1], ids.Keys.Order());
        Assert.All(ids.Values, id => Assert.StartsWith("call_", id));
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal("get_weather", names[0]);
        Assert.Equal("get_time", names[1]);
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", arguments[0].ToString());
        Assert.Equal("""{"tz":"CET"}""", arguments[1].ToString());
    }

    [Fact]
    public async Task ErrorsSurfaceAsClientResultExceptionWithStatusAndMessage()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.RateLimited());

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat(fake).CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        Assert.Contains("rate_limit_exceeded", error.Message);
        Assert.Equal(1, fake.RequestCount);
    }

    [Fact]
    public async Task Embeddings()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential("k"), Options(fake));

        OpenAIEmbeddingCollection embeddings = await client.GenerateEmbeddingsAsync(["first", "second"]);
        OpenAIEmbedding small = await client.GenerateEmbeddingAsync("third", new EmbeddingGenerationOptions { Dimensions = 4 });

        Assert.Equal(2, embeddings.Count);
        Assert.Equal([0, 1], embeddings.Select(e => e.Index));
        Assert.All(embeddings, e => Assert.Equal(EmbeddingsBehavior.DefaultDimensions, e.ToFloats().Length));
        Assert.Equal(1.0, Math.Sqrt(embeddings[0].ToFloats().ToArray().Sum(v => (double)v * v)), precision: 4);
        Assert.Equal(8, embeddings.Usage.InputTokenCount);
        Assert.Equal(4, small.ToFloats().Length);
    }

    [Fact]
    public async Task Models()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();

        OpenAIModelCollection models = await new OpenAIModelClient(new ApiKeyCredential("k"), Options(fake)).GetModelsAsync();

        Assert.Contains(models, m => m.Id == "gpt-4o-mini" && m.OwnedBy == "system");
    }

    private static OpenAIClientOptions Options(FakeOpenAIUpstream fake) => new()
    {
        Endpoint = fake.BaseUrl,
        // Retries would hide what the fake answered (and honour Retry-After, making tests slow).
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = FakeHttp.Bound,
    };

    private static ChatClient Chat(FakeOpenAIUpstream fake) => new("gpt-4o-mini", new ApiKeyCredential("k"), Options(fake));
}

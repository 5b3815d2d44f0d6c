using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// Many requests at once: pooled buffers (request bodies, rewritten bodies, relay buffers) must never leak one
/// request's bytes into another's response, and every request must leave its own usage record.
/// </summary>
public sealed class ConcurrentRequestsTests
{
    [Fact]
    public async Task PostChat_ManyConcurrentMixedRequests_EachGetsItsOwnContentAndRecord()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(EchoingUpstream());

        const int count = 48;
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            // Distinct, multi-byte, and for some requests larger than the relay's 16 KiB buffer.
            var content = $"request {i:D3} ✓ " + string.Concat(Enumerable.Repeat($"{i:D3}-ß-🎈|", i % 4 == 0 ? 2_000 : 20));
            var stream = i % 2 == 0;
            using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: stream, content: content));
            string answer;
            if (stream)
            {
                var events = await Wire.ReadSseAsync(response);
                Assert.True(events[^1].IsDone);
                answer = Wire.Content(events);
            }
            else
            {
                Assert.Equal(200, (int)response.StatusCode);
                var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                answer = Wire.StringOf(json["choices"]![0]!["message"]!["content"])!;
            }

            Assert.Equal(content, answer);
            return Wire.Header(response, "x-request-id")!;
        }).ToList();
        var ids = await Task.WhenAll(tasks);

        Assert.Equal(count, ids.Distinct().Count());
        Assert.Equal(count, h.A.RequestCount);
        var records = await h.UsageRecordsAsync(count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), records.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal(200, r.Status));
        Assert.Empty(h.A.HandlerErrors);
    }

    /// <summary>An upstream that answers with the request's first message content, streamed in 1,000-char pieces.</summary>
    private static RawBehavior EchoingUpstream() => UpstreamBehavior.Raw(async (http, request) =>
    {
        var content = Wire.StringOf(request.Json!["messages"]![0]!["content"])!;
        var header = new JsonObject { ["id"] = "chatcmpl-echo", ["created"] = 1_700_000_000, ["model"] = request.Model };
        if (!request.IsStream)
        {
            var completion = header.DeepClone().AsObject();
            completion["object"] = "chat.completion";
            completion["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                ["finish_reason"] = "stop",
            });
            completion["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 };
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(completion.ToJsonString(), Encoding.UTF8);
            return;
        }

        await SseWriter.BeginAsync(http.Response, http.RequestAborted);
        var pieces = new StringInfoPieces(content, 1_000);
        foreach (var piece in pieces)
        {
            var chunk = header.DeepClone().AsObject();
            chunk["object"] = "chat.completion.chunk";
            chunk["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece }, ["finish_reason"] = null });
            await SseWriter.WriteDataAsync(http.Response, chunk.ToJsonString(), http.RequestAborted);
        }

        var last = header.DeepClone().AsObject();
        last["object"] = "chat.completion.chunk";
        last["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" });
        await SseWriter.WriteDataAsync(http.Response, last.ToJsonString(), http.RequestAborted);
        await SseWriter.WriteDoneAsync(http.Response, http.RequestAborted);
    });

    /// <summary>Splits text into pieces of about <c>size</c> chars without cutting a surrogate pair.</summary>
    private sealed class StringInfoPieces(string text, int size) : IEnumerable<string>
    {
        public IEnumerator<string> GetEnumerator()
        {
            var start = 0;
            while (start < text.Length)
            {
                var end = Math.Min(text.Length, start + size);
                if (end < text.Length && char.IsLowSurrogate(text[end]))
                {
                    end++;
                }

                yield return text[start..end];
                start = end;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

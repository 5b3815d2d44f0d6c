using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>
/// Drives an inbound format's stream encoder from upstream Chat SSE the way the translated stream path does
/// (error event → Fail; end without [DONE] → Fail as a cut; [DONE] → Complete), and checks the invariants
/// every Responses stream must keep.
/// </summary>
internal static class ResponsesStreamHarness
{
    /// <summary>Fixed creation time, so goldens are stable.</summary>
    public const long Created = 1_700_000_000;

    public static string Translate(IInboundFormat format, byte[] upstreamSse, string model)
    {
        var decoder = new OpenAIChunkDecoder();
        var events = new List<StreamEvent>();
        var consumed = decoder.Decode(upstreamSse, events, out var done);
        Assert.Equal(upstreamSse.Length, consumed);

        var encoder = format.CreateStreamEncoder(new ChatRequest { Model = "alias", Stream = true }, model, Created);
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            if (e.Kind == StreamEventKind.Error)
            {
                encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                    $"The upstream deployment 'test' reported an error mid-stream: {e.Text}", null, e.ErrorCode ?? "upstream_error"), output);
                return Encoding.UTF8.GetString(output.WrittenSpan);
            }

            encoder.Write(e, output);
        }

        if (done)
        {
            encoder.Complete(output);
        }
        else
        {
            encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                "The upstream deployment 'test' ended the stream before completing the response.", null, "upstream_stream_cut"), output);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Splits a Responses SSE body into (event name, data JSON) pairs, checking the framing.</summary>
    public static List<(string Event, JsonElement Data)> Parse(string sse)
    {
        var result = new List<(string, JsonElement)>();
        foreach (var block in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(lines[1]["data: ".Length..]);
            result.Add((lines[0]["event: ".Length..], doc.RootElement.Clone()));
        }

        return result;
    }

    /// <summary>
    /// The stream invariants: event name = data.type; sequence numbers 0..n-1; created and in_progress first;
    /// exactly one terminal event, last; an error event only right before response.failed; every item is added
    /// before its deltas and (unless the stream failed) done after them; the final output lists the items added.
    /// </summary>
    public static void AssertWellFormed(string sse)
    {
        var events = Parse(sse);
        Assert.True(events.Count >= 3, "a stream has at least created, in_progress and a terminal event");
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(events[i].Event, events[i].Data.GetProperty("type").GetString());
            Assert.Equal(i, events[i].Data.GetProperty("sequence_number").GetInt32());
        }

        Assert.Equal("response.created", events[0].Event);
        Assert.Equal("response.in_progress", events[1].Event);
        var terminal = events[^1];
        Assert.Contains(terminal.Event, new[] { "response.completed", "response.incomplete", "response.failed" });
        Assert.Single(events, e => e.Event is "response.completed" or "response.incomplete" or "response.failed");
        var errors = events.FindIndex(e => e.Event == "error");
        Assert.True(errors < 0 || (errors == events.Count - 2 && terminal.Event == "response.failed"), "error comes right before response.failed");

        var added = new List<string>();
        var doneItems = new HashSet<string>();
        foreach (var (name, data) in events)
        {
            if (name == "response.output_item.added")
            {
                Assert.Equal(added.Count, data.GetProperty("output_index").GetInt32());
                added.Add(data.GetProperty("item").GetProperty("id").GetString()!);
            }
            else if (name == "response.output_item.done")
            {
                var id = data.GetProperty("item").GetProperty("id").GetString()!;
                Assert.Contains(id, added);
                Assert.True(doneItems.Add(id), $"item {id} closed twice");
            }
            else if (data.TryGetProperty("item_id", out var itemId))
            {
                Assert.Contains(itemId.GetString()!, added);
                Assert.DoesNotContain(itemId.GetString()!, doneItems);
                Assert.Equal(added.IndexOf(itemId.GetString()!), data.GetProperty("output_index").GetInt32());
            }
        }

        var output = terminal.Data.GetProperty("response").GetProperty("output").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
        Assert.Equal(added, output);
        if (terminal.Event != "response.failed")
        {
            Assert.Equal(added.Count, doneItems.Count);
        }
    }
}

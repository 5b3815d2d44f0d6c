using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// An assistant message that calls tools (<c>content: null</c>, <c>finish_reason: "tool_calls"</c>). Streamed as
/// OpenAI does: the first delta of each call carries <c>index</c>, <c>id</c>, <c>type</c>, <c>function.name</c> and
/// <c>function.arguments: ""</c> (the very first one also the assistant role); later deltas carry only
/// <c>index</c> and an <c>function.arguments</c> fragment. Calls are streamed one after another by index.
/// </summary>
/// <param name="Calls">The calls, in index order.</param>
public sealed record ToolCallsBehavior(IReadOnlyList<FakeToolCall> Calls) : CompletionBehavior("tool_calls")
{
    internal override void Validate()
    {
        if (Calls.Count == 0)
        {
            throw new ArgumentException("A tool-calls behaviour needs at least one call.");
        }

        foreach (var call in Calls)
        {
            call.Validate();
        }
    }

    internal override JsonObject BuildMessage(CompletionFrame frame)
    {
        var calls = new JsonArray();
        for (var i = 0; i < Calls.Count; i++)
        {
            calls.Add(new JsonObject
            {
                ["id"] = IdOf(frame, i),
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = Calls[i].Name, ["arguments"] = Calls[i].Arguments },
            });
        }

        return new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = null,
            ["tool_calls"] = calls,
            ["refusal"] = null,
            ["annotations"] = new JsonArray(),
        };
    }

    internal override IEnumerable<JsonObject> BuildDeltas(CompletionFrame frame)
    {
        for (var i = 0; i < Calls.Count; i++)
        {
            var opening = new JsonObject
            {
                ["index"] = i,
                ["id"] = IdOf(frame, i),
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = Calls[i].Name, ["arguments"] = "" },
            };
            yield return i == 0
                ? new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(opening), ["refusal"] = null }
                : new JsonObject { ["tool_calls"] = new JsonArray(opening) };

            foreach (var fragment in Calls[i].ArgumentFragments())
            {
                yield return new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = i,
                        ["function"] = new JsonObject { ["arguments"] = fragment },
                    }),
                };
            }
        }
    }

    private string IdOf(CompletionFrame frame, int index) => Calls[index].Id ?? frame.ToolCallId(index);
}

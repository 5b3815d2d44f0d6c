using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>One parsed Server-Sent Event.</summary>
/// <param name="Event">The <c>event:</c> name, or null for the default <c>message</c> event (OpenAI chat streams never name events).</param>
/// <param name="Data">The <c>data:</c> lines joined with <c>\n</c>.</param>
/// <param name="Id">The <c>id:</c> field set on this event, or null.</param>
public sealed record SseEvent(string? Event, string Data, string? Id = null)
{
    /// <summary>True for OpenAI's terminal <c>data: [DONE]</c>.</summary>
    public bool IsDone => Data == SseWriter.Done;

    /// <summary>True when the payload is an OpenAI error envelope (<c>{"error": ...}</c>).</summary>
    public bool IsError
    {
        get
        {
            try
            {
                return !IsDone && Json is JsonObject obj && obj.ContainsKey("error");
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>The data parsed as JSON (null for <c>[DONE]</c>); throws when the data is not JSON.</summary>
    public JsonNode? Json => IsDone ? null : JsonNode.Parse(Data);
}

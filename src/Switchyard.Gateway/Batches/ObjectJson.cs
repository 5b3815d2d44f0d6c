using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Batches;

/// <summary>
/// The JSON of files and batches as the gateway stores and answers them: the provider's object with its ids replaced
/// by the gateway's, kept in <see cref="UpstreamObject.Detail"/> as <c>{"object": {...}, "team", "customer"}</c> (who is
/// billed when a batch ends, fixed when it was created). Ids: <c>file-</c> or <c>batch_</c> and 24 random hex digits;
/// a batch's output and error files get an id derived from their deployment and provider id, so two replicas that see
/// the same batch end register the same file once.
/// </summary>
public static class ObjectJson
{
    /// <summary>A new gateway id (<c>file-…</c>, <c>batch_…</c>): 96 random bits.</summary>
    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>The gateway id of a file the provider made (a batch's output or errors): the same on every replica.</summary>
    public static string DerivedFileId(string deployment, string upstreamId) =>
        "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deployment + "\n" + upstreamId)))[..24];

    /// <summary>A provider's JSON object; throws <see cref="JsonException"/> when it is not one.</summary>
    public static JsonObject Parse(ReadOnlySpan<byte> body) =>
        JsonNode.Parse(body) as JsonObject ?? throw new JsonException("the provider's answer is not a JSON object");

    /// <summary>The string member <paramref name="name"/>, or null.</summary>
    public static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The detail to store: the client's object and who a batch bills.</summary>
    public static string Detail(JsonObject clientObject, string? team = null, string? customer = null)
    {
        var detail = new JsonObject { ["object"] = clientObject.DeepClone() };
        if (team is not null)
        {
            detail["team"] = team;
        }

        if (customer is not null)
        {
            detail["customer"] = customer;
        }

        return detail.ToJsonString();
    }

    /// <summary>The stored detail of <paramref name="item"/> (an empty object for a detail that is missing or unreadable).</summary>
    public static JsonObject DetailOf(UpstreamObject item)
    {
        try
        {
            return item.Detail is { } d ? JsonNode.Parse(d) as JsonObject ?? [] : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The client's object kept in <paramref name="item"/>'s detail.</summary>
    public static JsonObject ClientObject(UpstreamObject item) => DetailOf(item)["object"] as JsonObject ?? new JsonObject { ["id"] = item.Id };

    /// <summary>UTF-8 bytes of <paramref name="node"/>.</summary>
    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>OpenAI's list object over <paramref name="items"/>: <c>{"object":"list","data",first_id,last_id,has_more}</c>.</summary>
    public static byte[] List(IReadOnlyList<JsonObject> items, bool hasMore)
    {
        var data = new JsonArray();
        foreach (var item in items)
        {
            data.Add(item.DeepClone());
        }

        return Bytes(new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["first_id"] = items.Count > 0 ? Str(items[0], "id") : null,
            ["last_id"] = items.Count > 0 ? Str(items[^1], "id") : null,
            ["has_more"] = hasMore,
        });
    }
}

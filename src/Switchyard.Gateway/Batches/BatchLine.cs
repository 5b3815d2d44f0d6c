using System.Text.Json;

namespace Switchyard.Batches;

/// <summary>
/// One line of a batch input file, checked with a forward-only reader (no document built): the four fields OpenAI's
/// batch input format has, and the position of <c>body.model</c> so it can be replaced in place.
/// </summary>
internal static class BatchLine
{
    /// <summary>The longest <c>custom_id</c> taken (OpenAI's ids are short; 512 leaves room and bounds what is echoed).</summary>
    private const int MaxCustomId = 512;

    /// <summary>
    /// Reads <paramref name="line"/> (number <paramref name="number"/>); the refusal, or null with <paramref name="model"/>
    /// set. <paramref name="url"/> is the first line's url, set by it and compared on every later one.
    /// </summary>
    public static ClientError? Read(ReadOnlySpan<byte> line, int number, ref string? url, out ModelToken model)
    {
        model = default;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return BatchInput.Invalid($"Line {number} is not a JSON object.");
        }

        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var refused = name switch
            {
                "custom_id" => CustomId(ref reader, number, ref seen),
                "method" => Method(ref reader, number, ref seen),
                "url" => Url(ref reader, number, ref url, ref seen),
                "body" => Body(ref reader, number, ref seen, out model),
                _ => BatchInput.Invalid($"Line {number} has an unknown field '{Bounded(name)}'; a batch request has custom_id, method, url and body."),
            };
            if (refused is not null)
            {
                return refused;
            }
        }

        return Missing(seen, number);
    }

    private static ClientError? Missing(int seen, int number)
    {
        string[] names = ["custom_id", "method", "url", "body.model"];
        for (var i = 0; i < names.Length; i++)
        {
            if ((seen & (1 << i)) == 0)
            {
                return BatchInput.Invalid($"Line {number} has no '{names[i]}'.");
            }
        }

        return null;
    }

    private static ClientError? CustomId(ref Utf8JsonReader reader, int number, ref int seen)
    {
        seen |= 1;
        return reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length == 0 || reader.ValueSpan.Length > MaxCustomId
            ? BatchInput.Invalid($"Line {number}: 'custom_id' must be a non-empty string of at most {MaxCustomId} characters.")
            : null;
    }

    private static ClientError? Method(ref Utf8JsonReader reader, int number, ref int seen)
    {
        seen |= 2;
        return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("POST"u8) ? null
            : BatchInput.Invalid($"Line {number}: 'method' must be \"POST\".");
    }

    private static ClientError? Url(ref Utf8JsonReader reader, int number, ref string? url, ref int seen)
    {
        seen |= 4;
        var value = reader.TokenType == JsonTokenType.String ? reader.GetString()! : "";
        if (!BatchInput.Urls.Contains(value))
        {
            return BatchInput.Invalid($"Line {number}: 'url' must be one of {string.Join(", ", BatchInput.Urls)}.");
        }

        url ??= value;
        return url == value ? null : BatchInput.Invalid($"Line {number}: 'url' is '{value}', but line 1 calls '{url}'; a batch calls one endpoint.");
    }

    /// <summary>The body object: only its top-level <c>model</c> is read; everything else is skipped unread.</summary>
    private static ClientError? Body(ref Utf8JsonReader reader, int number, ref int seen, out ModelToken model)
    {
        model = default;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return BatchInput.Invalid($"Line {number}: 'body' must be a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.ValueTextEquals("model"u8);
            reader.Read();
            if (!isModel)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length == 0)
            {
                return BatchInput.Invalid($"Line {number}: 'body.model' must be a non-empty string.");
            }

            seen |= 8;
            model = new ModelToken((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2, reader.GetString()!);
        }

        return null;
    }

    private static string Bounded(string name) => name.Length > 64 ? name[..64] + "…" : name;
}

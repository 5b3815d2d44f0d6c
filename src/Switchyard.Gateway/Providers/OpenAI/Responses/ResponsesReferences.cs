using System.Text.Json;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// Reads what a <c>POST /v1/responses</c> body refers to in the gateway's store, with <see cref="Utf8JsonReader"/>
/// and nothing materialised: <c>store</c>, <c>previous_response_id</c> and the ids of <c>item_reference</c> input
/// items. The head parser has already checked the body is well-formed JSON with well-typed top-level fields.
/// </summary>
internal static class ResponsesReferences
{
    /// <summary>Reads <paramref name="body"/>; null on success, else the 400 to send.</summary>
    public static ClientError? Read(ReadOnlySpan<byte> body, out ConversationReferences references)
    {
        references = new ConversationReferences();
        var store = true;
        string? previous = null;
        List<string>? ids = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 128 });
        try
        {
            reader.Read(); // the root object
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var isStore = name.SequenceEqual("store"u8);
                var isPrevious = name.SequenceEqual("previous_response_id"u8);
                var isInput = name.SequenceEqual("input"u8);
                reader.Read();
                if (isStore)
                {
                    store = reader.TokenType != JsonTokenType.False;
                }
                else if (isPrevious && reader.TokenType == JsonTokenType.String)
                {
                    previous = reader.GetString();
                }
                else if (isInput && reader.TokenType == JsonTokenType.StartArray && body.IndexOf("\"item_reference\""u8) >= 0
                    && ItemReferences(ref reader, ref ids) is { } error)
                {
                    return error;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, "We could not parse the JSON body of your request.", null, "invalid_json");
        }

        if (previous is { Length: 0 })
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, "Invalid 'previous_response_id': empty string.", "previous_response_id", "invalid_value");
        }

        references = new ConversationReferences { Store = store, PreviousResponseId = previous, ItemIds = ids ?? [] };
        return null;
    }

    /// <summary>The ids of the <c>item_reference</c> items of the input array; the reader is on its start and ends on its end.</summary>
    private static ClientError? ItemReferences(ref Utf8JsonReader reader, ref List<string>? ids)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                index++;
                continue;
            }

            string? type = null, id = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.GetString();
                }
                else if (isId && reader.TokenType == JsonTokenType.String)
                {
                    id = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (type == "item_reference")
            {
                if (id is not { Length: > 0 })
                {
                    return ResponsesRequestReader.Invalid($"input[{index}].id", "An 'item_reference' item needs the 'id' of a stored item.");
                }

                ids ??= [];
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }

            index++;
        }

        return null;
    }
}

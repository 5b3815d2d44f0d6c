using System.Buffers;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.Anthropic;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// The body of a Claude request on Vertex: the Anthropic Messages body as <see cref="AnthropicRequestWriter"/>
/// writes it, less <c>model</c> (Vertex takes it from the URL and refuses it in the body) and with
/// <c>"anthropic_version": "vertex-2023-10-16"</c> in place of the <c>anthropic-version</c> header. Translation
/// follows the rules of Anthropic's 2023-06-01 API version, the one the Vertex version string corresponds to.
/// </summary>
internal static class VertexAnthropicBody
{
    /// <summary>The API version Vertex expects in the body.</summary>
    public const string AnthropicVersion = "vertex-2023-10-16";

    /// <summary>Writes the body for <paramref name="request"/>.</summary>
    public static byte[] Build(ChatRequest request, string model, bool allowDrop, List<string> dropped)
    {
        var messages = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(messages, AnthropicJson.WriterOptions))
        {
            AnthropicRequestWriter.Write(w, request, model, AnthropicVersionRules.For(null), allowDrop, dropped, vertex: true);
        }

        return FromMessagesBody(messages.WrittenSpan);
    }

    /// <summary>
    /// A Messages body → the Vertex body: <c>anthropic_version</c> first, every other member in order, no <c>model</c>.
    /// Re-writing through <see cref="JsonDocument"/> keeps this independent of where the writer puts <c>model</c>.
    /// </summary>
    public static byte[] FromMessagesBody(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var output = new ArrayBufferWriter<byte>(body.Length + 48);
        using (var w = new Utf8JsonWriter(output, AnthropicJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("anthropic_version", AnthropicVersion);
            foreach (var member in doc.RootElement.EnumerateObject())
            {
                if (!member.NameEquals("model") && !member.NameEquals("anthropic_version"))
                {
                    member.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}

using System.Buffers;
using Switchyard.Ingress;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Builds the upstream body for the OpenAI passthrough path by splicing the original bytes: the
/// <c>model</c> token is replaced by the deployment's model, and for streams <c>stream_options</c> is made
/// to ask for usage (so every stream is metered; the extra chunk is kept away from a client that did not
/// ask). Everything else is forwarded byte for byte: field order, unknown fields, whitespace.
/// </summary>
public static class OpenAIBodyRewriter
{
    private static ReadOnlySpan<byte> IncludeUsageObject => "{\"include_usage\":true}"u8;
    private static ReadOnlySpan<byte> StreamOptionsMember => ",\"stream_options\":{\"include_usage\":true}"u8;

    /// <summary>
    /// Writes the rewritten body into a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// </summary>
    /// <param name="body">The client's body.</param>
    /// <param name="request">Offsets found by <see cref="OpenAIRequestParser"/>.</param>
    /// <param name="encodedModel">The new model as a JSON string token, quotes included.</param>
    /// <param name="length">Bytes written.</param>
    public static byte[] Rewrite(ReadOnlySpan<byte> body, in RequestHead request, ReadOnlySpan<byte> encodedModel, out int length)
    {
        // Edit 1: model. Edit 2 (streams that don't already ask for usage): stream_options.
        var streamEdit = request.Stream && !request.ClientWantsUsage;
        int editStart, editLength;
        ReadOnlySpan<byte> editValue;
        if (!streamEdit)
        {
            editStart = -1;
            editLength = 0;
            editValue = default;
        }
        else if (request.StreamOptionsStart >= 0)
        {
            // Replace the whole stream_options value. It only carries include_usage (and the optional
            // include_obfuscation, which defaults to true upstream, so dropping it changes nothing).
            editStart = request.StreamOptionsStart;
            editLength = request.StreamOptionsLength;
            editValue = IncludeUsageObject;
        }
        else
        {
            editStart = request.RootEnd;
            editLength = 0;
            editValue = StreamOptionsMember;
        }

        var size = body.Length - request.ModelLength + encodedModel.Length - editLength + editValue.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var dst = buffer.AsSpan();
        var written = 0;

        static void Copy(ReadOnlySpan<byte> src, Span<byte> to, ref int at)
        {
            src.CopyTo(to[at..]);
            at += src.Length;
        }

        if (editStart < 0 || editStart > request.ModelStart)
        {
            Copy(body[..request.ModelStart], dst, ref written);
            Copy(encodedModel, dst, ref written);
            var afterModel = request.ModelStart + request.ModelLength;
            if (editStart < 0)
            {
                Copy(body[afterModel..], dst, ref written);
            }
            else
            {
                Copy(body[afterModel..editStart], dst, ref written);
                Copy(editValue, dst, ref written);
                Copy(body[(editStart + editLength)..], dst, ref written);
            }
        }
        else
        {
            Copy(body[..editStart], dst, ref written);
            Copy(editValue, dst, ref written);
            Copy(body[(editStart + editLength)..request.ModelStart], dst, ref written);
            Copy(encodedModel, dst, ref written);
            Copy(body[(request.ModelStart + request.ModelLength)..], dst, ref written);
        }

        length = written;
        return buffer;
    }
}

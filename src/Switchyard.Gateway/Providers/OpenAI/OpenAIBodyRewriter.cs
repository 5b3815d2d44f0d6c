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
        var model = new Edit(request.ModelStart, request.ModelLength, encodedModel);
        var usage = UsageEdit(request);
        var size = body.Length - model.Length + model.Value.Length - usage.Length + usage.Value.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var dst = buffer.AsSpan();
        var written = 0;
        if (usage.Start < 0)
        {
            Splice(body, model, dst, ref written);
        }
        else if (usage.Start > model.Start)
        {
            Splice(body, model, usage, dst, ref written);
        }
        else
        {
            Splice(body, usage, model, dst, ref written);
        }

        length = written;
        return buffer;
    }

    /// <summary>The edit that makes a stream ask for usage; <see cref="Edit.Start"/> is -1 when none is needed.</summary>
    private static Edit UsageEdit(in RequestHead request)
    {
        if (!request.Stream || request.ClientWantsUsage)
        {
            return new Edit(-1, 0, default);
        }

        // Replace the whole stream_options value. It only carries include_usage (and the optional
        // include_obfuscation, which defaults to true upstream, so dropping it changes nothing).
        return request.StreamOptionsStart >= 0
            ? new Edit(request.StreamOptionsStart, request.StreamOptionsLength, IncludeUsageObject)
            : new Edit(request.RootEnd, 0, StreamOptionsMember);
    }

    /// <summary>Copies <paramref name="body"/> with one edit applied.</summary>
    private static void Splice(ReadOnlySpan<byte> body, in Edit only, Span<byte> dst, ref int written)
    {
        Copy(body[..only.Start], dst, ref written);
        Copy(only.Value, dst, ref written);
        Copy(body[(only.Start + only.Length)..], dst, ref written);
    }

    /// <summary>Copies <paramref name="body"/> with two edits applied; <paramref name="first"/> comes earlier in the body.</summary>
    private static void Splice(ReadOnlySpan<byte> body, in Edit first, in Edit second, Span<byte> dst, ref int written)
    {
        Copy(body[..first.Start], dst, ref written);
        Copy(first.Value, dst, ref written);
        Copy(body[(first.Start + first.Length)..second.Start], dst, ref written);
        Copy(second.Value, dst, ref written);
        Copy(body[(second.Start + second.Length)..], dst, ref written);
    }

    private static void Copy(ReadOnlySpan<byte> src, Span<byte> to, ref int at)
    {
        src.CopyTo(to[at..]);
        at += src.Length;
    }

    /// <summary>Replace <see cref="Length"/> bytes at <see cref="Start"/> of the body with <see cref="Value"/>.</summary>
    private readonly ref struct Edit(int start, int length, ReadOnlySpan<byte> value)
    {
        public readonly int Start = start;
        public readonly int Length = length;
        public readonly ReadOnlySpan<byte> Value = value;
    }
}

using System.Buffers;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Builds the upstream body for the OpenAI passthrough path by splicing the original bytes: the
/// <c>model</c> token is replaced by the deployment's model, for streams <c>stream_options</c> is made to
/// ask for usage (so every stream is metered; the extra chunk is kept away from a client that did not
/// ask), and a member only the gateway understands (the client's own fallback list, <c>models</c>) is cut
/// out: the real API refuses unknown fields. Everything else is forwarded byte for byte: field order,
/// unknown fields, whitespace.
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
        // At most three edits, none overlapping: the model, stream_options, the gateway's own member.
        Span<Edit> edits = stackalloc Edit[3];
        var count = 0;
        edits[count++] = new Edit(request.ModelStart, request.ModelLength, EditValue.Model);
        if (UsageEdit(request) is { Start: >= 0 } usage)
        {
            edits[count++] = usage;
        }

        if (request.GatewayFieldLength > 0)
        {
            edits[count++] = new Edit(request.GatewayFieldStart, request.GatewayFieldLength, EditValue.Nothing);
        }

        edits = edits[..count];
        edits.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        var size = body.Length;
        foreach (var e in edits)
        {
            size += Value(e.Value, encodedModel).Length - e.Length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var written = 0;
        var at = 0;
        foreach (var e in edits)
        {
            Copy(body[at..e.Start], buffer, ref written);
            Copy(Value(e.Value, encodedModel), buffer, ref written);
            at = e.Start + e.Length;
        }

        Copy(body[at..], buffer, ref written);
        length = written;
        return buffer;
    }

    /// <summary>The edit that makes a stream ask for usage; <see cref="Edit.Start"/> is -1 when none is needed.</summary>
    private static Edit UsageEdit(in RequestHead request)
    {
        if (!request.Stream || request.ClientWantsUsage)
        {
            return new Edit(-1, 0, EditValue.Nothing);
        }

        // Replace the whole stream_options value. It only carries include_usage (and the optional
        // include_obfuscation, which defaults to true upstream, so dropping it changes nothing).
        return request.StreamOptionsStart >= 0
            ? new Edit(request.StreamOptionsStart, request.StreamOptionsLength, EditValue.IncludeUsage)
            : new Edit(request.RootEnd, 0, EditValue.StreamOptions);
    }

    private static ReadOnlySpan<byte> Value(EditValue value, ReadOnlySpan<byte> encodedModel) => value switch
    {
        EditValue.Model => encodedModel,
        EditValue.IncludeUsage => IncludeUsageObject,
        EditValue.StreamOptions => StreamOptionsMember,
        _ => default,
    };

    private static void Copy(ReadOnlySpan<byte> src, Span<byte> to, ref int at)
    {
        src.CopyTo(to[at..]);
        at += src.Length;
    }

    /// <summary>What replaces an edited range.</summary>
    private enum EditValue : byte
    {
        Nothing,
        Model,
        IncludeUsage,
        StreamOptions,
    }

    /// <summary>Replace <see cref="Length"/> bytes at <see cref="Start"/> of the body with <see cref="Value"/>.</summary>
    private readonly record struct Edit(int Start, int Length, EditValue Value);
}

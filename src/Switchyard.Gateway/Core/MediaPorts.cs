using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>
/// A provider's endpoints beyond chat (images, audio, moderation, rerank): builds the upstream call for a client's
/// request and reads the answer back into the client's shape. The client's formats for these operations are fixed
/// (OpenAI's, and Cohere/Jina's for rerank), so a provider that speaks them natively forwards the body with only the
/// model changed, and the others translate (Imagen's <c>:predict</c>, Voyage's rerank). Pure apart from the request
/// it builds: no clock, no logging, no I/O (a multipart upload's spooled files are opened, not read, here).
/// </summary>
public interface IMediaProvider
{
    /// <summary>The operations this kind serves; a deployment's <c>operations:</c> may only narrow it.</summary>
    OperationKinds Serves { get; }

    /// <summary>
    /// The upstream request for <paramref name="call"/> on <paramref name="deployment"/>. Throws
    /// <see cref="UnsupportedFeatureException"/> for what the upstream cannot do (Imagen has no <c>url</c> answers).
    /// </summary>
    HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment);

    /// <summary>
    /// Reads a whole 2xx answer: the bytes for the client (often the upstream's own, unchanged), their content type,
    /// and what it used. Not called for a relayed answer (<see cref="MediaCall.Relayed"/>).
    /// </summary>
    MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment);
}

/// <summary>One media request as the dispatcher hands it to a provider.</summary>
/// <param name="Operation">Which endpoint.</param>
/// <param name="Body">The client's JSON body; for a multipart upload, the JSON of its text fields (<see cref="UploadedForm.HeadJson"/>).</param>
/// <param name="Head">Its head (the model's offsets, what was asked).</param>
/// <param name="Form">The multipart upload (fields and spooled files), or null for a JSON body.</param>
/// <param name="RequestId">The gateway's request id (a translated rerank answer's <c>id</c>).</param>
/// <param name="CreatedUnixSeconds">The request's arrival (a translated image answer's <c>created</c>).</param>
public sealed record MediaCall(Operation Operation, ReadOnlyMemory<byte> Body, RequestHead Head, UploadedForm? Form, string RequestId, long CreatedUnixSeconds)
{
    /// <summary>
    /// True when the answer is relayed to the client as it arrives, never held whole: synthesized speech, which can
    /// be minutes of audio and which a player starts on its first bytes.
    /// </summary>
    public bool Relayed => Operation == Operation.Speech;
}

/// <summary>An answer read whole and ready for the client.</summary>
/// <param name="Body">The bytes to send.</param>
/// <param name="ContentType">Their content type.</param>
/// <param name="Usage">What it used, for the cost (images, seconds, search units).</param>
/// <param name="Tokens">Tokens the upstream reported (gpt-image-1, gpt-4o-transcribe and Jina/Voyage bill by token).</param>
public sealed record MediaAnswer(ReadOnlyMemory<byte> Body, string ContentType, MediaUsage Usage, TokenUsage Tokens)
{
    /// <summary>
    /// The job a provider accepted (a video create): its id there and state. Dispatch stores it under the gateway's id and
    /// answers with the gateway's own object (<see cref="Body"/> is then not sent); null for an answer that is the result.
    /// </summary>
    public AcceptedJob? Job { get; init; }
}

/// <summary>
/// What a media request used, in the units its price is written in (docs/adr/0017-beyond-chat.md): images of a size
/// and quality, characters of speech input, seconds of audio, search units. Zero where it does not apply.
/// </summary>
public readonly record struct MediaUsage
{
    /// <summary>Images returned.</summary>
    public int Images { get; init; }

    /// <summary>Their size as asked (<c>1024x1024</c>), or null for the model's default.</summary>
    public string? Size { get; init; }

    /// <summary>Their quality as asked (<c>hd</c>, <c>high</c>), or null for the model's default.</summary>
    public string? Quality { get; init; }

    /// <summary>Characters of text turned into speech.</summary>
    public long Characters { get; init; }

    /// <summary>Seconds of audio transcribed or translated, as the upstream reported them.</summary>
    public double Seconds { get; init; }

    /// <summary>Search units (Cohere bills a rerank of up to 100 documents as one).</summary>
    public long SearchUnits { get; init; }

    /// <summary>True when nothing is counted.</summary>
    public bool IsEmpty => Images == 0 && Characters == 0 && Seconds == 0 && SearchUnits == 0;
}

/// <summary>What a media request asks for, read from its head: enough to reserve its most expensive outcome in a budget.</summary>
/// <param name="Images">Images asked for (<c>n</c>, default 1).</param>
/// <param name="Size">Their size, when given.</param>
/// <param name="Quality">Their quality, when given.</param>
/// <param name="Characters">Characters of speech input.</param>
/// <param name="Documents">Documents to rerank.</param>
/// <param name="Seconds">Seconds of video asked for (<c>seconds</c>, OpenAI's default 4 when absent).</param>
public sealed record MediaAsk(int Images = 0, string? Size = null, string? Quality = null, long Characters = 0, int Documents = 0, int Seconds = 0);
